"""The WSGI entry point: the app mounted under its prefix, behind exactly one trusted proxy.

The mount is the original post's DispatcherMiddleware(NotFound(), {prefix: app}), with the prefix
taken from APP_PREFIX instead of written into the code.
"""
from __future__ import annotations

from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import Settings
from .web import create_app

FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT",
             "HTTP_X_FORWARDED_PREFIX", "HTTP_X_ORIGINAL_HOST", "HTTP_FORWARDED")


class OneTrustedProxy:
    """Applies X-Forwarded-For/-Proto and X-Original-Host from the one proxy hop at trusted_proxy, and
    drops them from anyone else, so a client reaching the app directly cannot spoof them."""

    def __init__(self, app, trusted_proxy: str):
        self.trusted_proxy = trusted_proxy
        self.direct = app
        # IIS sends the client's Host as X-Original-Host (the post's step 4); ProxyFix reads X-Forwarded-Host.
        self.proxied = ProxyFix(app, x_for=1, x_proto=1, x_host=1, x_port=0, x_prefix=0)

    def __call__(self, environ, start_response):
        if environ.get("REMOTE_ADDR") != self.trusted_proxy:
            for key in FORWARDED:
                environ.pop(key, None)
            return self.direct(environ, start_response)
        environ.pop("HTTP_X_FORWARDED_HOST", None)
        if "HTTP_X_ORIGINAL_HOST" in environ:
            environ["HTTP_X_FORWARDED_HOST"] = environ["HTTP_X_ORIGINAL_HOST"]
        return self.proxied(environ, start_response)


def build(settings: Settings):
    mounted = DispatcherMiddleware(NotFound(), {settings.mount: create_app(settings)})
    return OneTrustedProxy(mounted, settings.trusted_proxy)

