"""The server runtime: the launcher (python -m app.server), the app servers it runs (waitress,
gunicorn, uvicorn), the worker processes that share one address, and how a stop reaches and drains
them on each OS."""
