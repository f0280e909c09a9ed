"""The one launcher: a WSGI app under waitress (app/server/waitress_server.py) on both stacks, or
gunicorn on Linux, as APP_SERVER says; an ASGI app under uvicorn (app/server/uvicorn_server.py);
never a framework's development server.

    python -m app.server [--server gunicorn|waitress]   # --server: APP_SERVER for this run
"""
from __future__ import annotations

import argparse
import sys

from ..config import ConfigError, Settings, from_env, server_problem
from ..hosting.build import build
from ..hosting.loader import AppLoadError
from .limits import MAX_HEADER_FIELD, MAX_HEADER_LINES, MAX_REQUEST_LINE


def run_gunicorn(app, s: Settings):
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            options = {
                "bind": f"{s.bind_address}:{s.port}",
                "workers": s.workers,
                "threads": s.threads,
                "worker_class": "gthread",
                "worker_connections": s.connections,
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
                "limit_request_fields": MAX_HEADER_LINES,
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
    from . import waitress_server

    waitress_server.run(app, s)


def run_uvicorn(app, s: Settings):
    from . import uvicorn_server

    uvicorn_server.run(app, s)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--server", choices=("gunicorn", "waitress"), help="instead of APP_SERVER")
    args = parser.parse_args(argv)
    try:
        settings = from_env()
        # Loaded before the server starts: an app that cannot load is an exit, never a healthy
        # container serving nothing.
        app = build(settings)
    except (ConfigError, AppLoadError) as exc:
        print(f"app: {exc}", file=sys.stderr)
        return 2
    if app.interface == "asgi":
        # APP_SERVER chooses among WSGI servers; an ASGI app has the one.
        run_uvicorn(app, settings)
        return 0
    server = args.server or settings.server
    if server_problem(server):
        print(f"app: --server {server_problem(server)}", file=sys.stderr)
        return 2
    (run_waitress if server == "waitress" else run_gunicorn)(app, settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
