"""The hosting layer: what the deployment adds around any app, WSGI or ASGI, from outside (the prefix
mount, one-hop proxy trust, host checks, /health, diagnostics, the access log with the request ID,
HSTS, cookie scope, the body limit, the signed-in user). The decisions are rules.py's; wsgi.py and
asgi.py only adapt them to each interface; build.py loads APP_MODULE and wraps it."""
