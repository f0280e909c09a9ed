"""waitress as this project runs it: in one process on the app's address, or, with APP_WORKERS
above 1, as several worker processes sharing one listening socket (app/server/workers.py). Each process
drains on a stop (app/server/drain.py, app/server/stopping.py)."""
from __future__ import annotations

import logging
import sys
import threading

from ..config import Settings, from_env
from ..hosting.build import build
from . import stopping
from .drain import Drain
from .limits import MAX_HEADER_FIELD
from .retiring import retire_connections
from .workers import run_workers, wait_for_stop

# Room in waitress' own body cap for chunk framing (chunk sizes and CRLFs): ARR passes a chunked
# body on in pieces of about 8 KB (docs/standin.md B64), which adds about 30 KB to a 30 MB body.
WAITRESS_FRAMING_ALLOWANCE = 64 * 1024
# Body bytes a connection keeps in memory; past it waitress moves the body to a temporary file. Its
# default, 512 KiB, would let 500 stalled uploads a process hold 250 MB of memory (docs/hostile-clients.md).
BODY_IN_MEMORY = 64 * 1024
# Sockets of waitress' own in the map connection_limit counts: the listening socket and the trigger.
WAITRESS_OWN_SOCKETS = 2


def options(s: Settings) -> dict:
    return dict(
        threads=s.threads,
        channel_timeout=s.timeout_seconds,
        # waitress reads a whole body in its I/O loop before a thread sees the request, so slow
        # uploads cost connections, not threads; its default of 100 connections would be the
        # limit a few hundred slow clients reach (docs/hostile-clients.md).
        # waitress counts its listening socket and its trigger among the connections: two more, so
        # that APP_CONNECTIONS is the number of clients served (1 and 2 would serve none).
        connection_limit=s.connections + WAITRESS_OWN_SOCKETS,
        # waitress refuses a body of exactly its cap (its parser tests >=) and counts chunked
        # framing against it, so its cap is the limit and room for framing: the hosting layer's
        # BodyLimit is the exact limit, for every body, on both servers (tests/app/test_servers.py).
        # A connection holds at most this much of a body, in memory up to BODY_IN_MEMORY.
        max_request_body_size=s.max_body_bytes + WAITRESS_FRAMING_ALLOWANCE,
        inbuf_overflow=BODY_IN_MEMORY,
        max_request_header_size=MAX_HEADER_FIELD * 4,
        # Trust is decided once, in hosting.OneTrustedProxy, for both servers.
        clear_untrusted_proxy_headers=False,
        ident=None,
    )


def serve(app, s: Settings, stop_pipe=None, **where) -> None:
    """One waitress process: where is listen=… or sockets=[…]. A stop (the process's own, or the
    launcher closing stop_pipe) finishes what is in flight within APP_TIMEOUT_SECONDS, as gunicorn's
    graceful_timeout."""
    import waitress

    server = waitress.create_server(app, **where, **options(s))
    retire_connections(server)
    drain = Drain(server, bound=s.timeout_seconds)
    stopping.install(drain.run)
    if stop_pipe is not None:
        def drain_when_told():
            wait_for_stop(stop_pipe)
            drain.run()

        threading.Thread(target=drain_when_told, daemon=True).start()
    server.print_listen("Serving on http://{}:{}")
    server.run()


def serve_on_socket(sock, stop_pipe) -> None:
    """A worker process's entry point (spawned: it loads the settings and the app itself)."""
    s = from_env()
    _log(s)
    serve(build(s), s, stop_pipe=stop_pipe, sockets=[sock])


def run(app, s: Settings) -> None:
    _log(s)
    if s.workers == 1:
        serve(app, s, listen=f"{s.bind_address}:{s.port}")
        return
    run_workers(s, serve_on_socket, "waitress")


def _log(s: Settings) -> None:
    logging.basicConfig(level=s.log_level.upper(), format="%(message)s", stream=sys.stdout)
