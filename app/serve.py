"""The one launcher: gunicorn on Linux, waitress on Windows, never the Flask development server.

    python -m app.serve [--server gunicorn|waitress]
"""
from __future__ import annotations

import argparse
import logging
import os
import sys

from .config import ConfigError, Settings, from_env
from .loader import AppLoadError
from .wsgi import build

# HTTP.sys accepts header lines up to 16 KB (MaxFieldLength) and IIS URLs up to 4096 + 2048 bytes of
# query; the app server must accept at least what IIS forwards, or users see 400s from the app.
MAX_REQUEST_LINE = 8190  # gunicorn's ceiling
MAX_HEADER_FIELD = 16384
# Open connections waitress serves at once; past it, it stops accepting until some close.
# [INFERRED] kept under the 512 sockets CPython's select() handles on Windows.
WAITRESS_CONNECTIONS = 400
# Room in waitress' own body cap for chunk framing (chunk sizes and CRLFs), on top of twice the limit.
WAITRESS_FRAMING_ALLOWANCE = 64 * 1024


def run_gunicorn(app, s: Settings):
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            options = {
                "bind": f"{s.bind_address}:{s.port}",
                "workers": s.workers,
                "threads": s.threads,
                "worker_class": "gthread",
                "timeout": s.timeout_seconds,
                "graceful_timeout": s.timeout_seconds,
                "loglevel": s.log_level,
                # The access log is the hosting layer's (JSON, with the request ID), on both servers.
                "accesslog": None,
                "errorlog": "-",
                # Trust is decided once, in hosting.OneTrustedProxy: gunicorn itself believes no peer.
                "forwarded_allow_ips": "",
                "limit_request_line": MAX_REQUEST_LINE,
                "limit_request_field_size": MAX_HEADER_FIELD,
                "worker_tmp_dir": "/dev/shm",
                "control_socket_disable": True,
            }
            for key, value in options.items():
                if key in self.cfg.settings:
                    self.cfg.set(key, value)

        def load(self):
            return app

    Server().run()


def run_waitress(app, s: Settings):
    import waitress

    from . import stopping
    from .drain import Drain

    logging.basicConfig(level=s.log_level.upper(), format="%(message)s", stream=sys.stdout)
    server = waitress.create_server(
        app,
        listen=f"{s.bind_address}:{s.port}",
        threads=s.threads,
        channel_timeout=s.timeout_seconds,
        # waitress reads a whole body in its I/O loop before a thread sees the request, so slow
        # uploads cost connections, not threads; its default of 100 connections would be the
        # limit a few hundred slow clients reach (docs/standin.md B64).
        connection_limit=WAITRESS_CONNECTIONS,
        # waitress refuses a body of exactly its cap (its parser tests >=) and counts chunked
        # framing against it, so its cap stays above MAX_BODY_BYTES: the hosting layer's BodyLimit
        # is the exact limit, for every body, on both servers (tests/app/test_servers.py).
        max_request_body_size=2 * s.max_body_bytes + WAITRESS_FRAMING_ALLOWANCE,
        max_request_header_size=MAX_HEADER_FIELD * 4,
        # Trust is decided once, in hosting.OneTrustedProxy, for both servers.
        clear_untrusted_proxy_headers=False,
        ident=None,
    )
    # A stop finishes what is in flight within APP_TIMEOUT_SECONDS, as gunicorn's graceful_timeout.
    stopping.install(Drain(server, bound=s.timeout_seconds))
    server.print_listen("Serving on http://{}:{}")
    server.run()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--server", choices=("gunicorn", "waitress"),
                        default="waitress" if os.name == "nt" else "gunicorn")
    args = parser.parse_args(argv)
    try:
        settings = from_env()
        # Loaded before the server starts: an app that cannot load is an exit, never a healthy
        # container serving nothing.
        app = build(settings)
    except (ConfigError, AppLoadError) as exc:
        print(f"app: {exc}", file=sys.stderr)
        return 2
    (run_waitress if args.server == "waitress" else run_gunicorn)(app, settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
