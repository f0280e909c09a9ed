"""The WSGI entry point: the app APP_MODULE names, hosted under its prefix (app/hosting.py).

app.serve runs it (gunicorn on Linux, waitress on Windows). `application` follows the WSGI servers'
convention for another server (`waitress-serve app.wsgi:application`), built from the environment
when first asked for."""
from __future__ import annotations

import sys

from .config import Settings, from_env
from .hosting import host
from .loader import load_app
from .static_files import check_static_folder


def build(settings: Settings):
    """Raises loader.AppLoadError when APP_MODULE cannot be loaded, config.ConfigError when IIS
    would serve other static files than the app's own."""
    app = load_app(settings.app_module)
    if settings.iis_static_files:
        warning = check_static_folder(app, settings.static_dir)
        if warning:
            print(warning, file=sys.stderr)
    return host(app, settings)


def __getattr__(name: str):
    # Built on first use, not at import: importing the module must not need the settings.
    if name == "application":
        globals()["application"] = build(from_env())
        return globals()["application"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
