"""The hosted app: the app APP_MODULE names, WSGI or ASGI, inside the hosting layer for its kind.

python -m app.server runs it. `application` follows the servers' convention for running it under
another server (`waitress-serve app.hosting.build:application`, `uvicorn app.hosting.build:application`),
built from the environment when first asked for."""
from __future__ import annotations

import sys

from ..config import Settings, from_env
from . import asgi, wsgi
from .loader import interface, load_app
from .static_files import check_static_folder


def build(settings: Settings):
    """Raises loader.AppLoadError when APP_MODULE cannot be loaded, config.ConfigError when IIS
    would serve other static files than the app's own. The result's .interface is "wsgi" or "asgi"."""
    app = load_app(settings.app_module)
    if settings.iis_static_files:
        warning = check_static_folder(app, settings.static_dir)
        if warning:
            print(warning, file=sys.stderr)
    kind = interface(app)
    hosted = (asgi.host if kind == "asgi" else wsgi.host)(app, settings)
    hosted.interface = kind
    return hosted


def __getattr__(name: str):
    # Built on first use, not at import: importing the module must not need the settings.
    if name == "application":
        globals()["application"] = build(from_env())
        return globals()["application"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
