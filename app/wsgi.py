"""The WSGI entry point: the app APP_MODULE names, hosted under its prefix (app/hosting.py)."""
from __future__ import annotations

from .config import Settings
from .hosting import host
from .loader import load_app


def build(settings: Settings):
    """Raises loader.AppLoadError when APP_MODULE cannot be loaded."""
    return host(load_app(settings.app_module), settings)
