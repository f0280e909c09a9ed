"""uvicorn as this project runs ASGI apps: in one process on the app's address, or, with APP_WORKERS
above 1, in the same worker processes as waitress' (app/workers.py: one listening socket, replaced
when they die, stopped together), never uvicorn's own supervisor (docs/windows.md W43). Each process
drains on a stop within APP_TIMEOUT_SECONDS: no new connections, open WebSockets closed with 1012
(service restart), in-flight requests finished, then the rest cancelled."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import sys
import threading
import time

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from ..config import Settings, from_env
from ..hosting.asgi import RETIRE
from ..hosting.build import build
from . import stopping
from .limits import MAX_HEADER_FIELD, MAX_WEBSOCKET_MESSAGE
from .retiring import KEEPALIVE_MAX_AGE
from .workers import BACKLOG, bind, run_workers, wait_for_stop

# uvicorn's WebSocket keepalive: a ping every 20 s, and a peer that does not answer within 20 s is
# gone. Traffic on every WebSocket well inside ARR's proxy timeout (docs/windows.md W44).
WS_PING_SECONDS = 20.0
# Seconds past the drain's bound (APP_TIMEOUT_SECONDS) for the app's lifespan shutdown.
LIFESPAN_SHUTDOWN_ROOM = 3


class HostedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with two changes for a connection a proxy keeps:

    - Nagle's algorithm off. asyncio turns it off only on sockets whose protocol says TCP: not on
      those accepted from a socket made with protocol 0 (socket.create_server's, and every socket
      Windows' Proactor loop accepts on), where each small response waited for the client's
      delayed ACK, about 40 ms: 720 requests/s instead of 3,000 (docs/benchmark.md). waitress sets
      TCP_NODELAY itself.
    - Retiring, as waitress' connections do (app/server/retiring.py): a request on a connection
      older than KEEPALIVE_MAX_AGE is marked (the scope's extension RETIRE), and the hosting layer
      answers it with Connection: close, so a proxy's pool spreads again over replaced workers."""

    def connection_made(self, transport):
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.opened = time.monotonic()
        super().connection_made(transport)

    def handle_events(self):
        before = self.cycle
        super().handle_events()
        # A request that began here: its app task has not run yet, so the mark is there when it does.
        if self.cycle is not before and self.cycle is not None and time.monotonic() - self.opened > KEEPALIVE_MAX_AGE:
            self.cycle.scope["extensions"] = {**self.cycle.scope.get("extensions", {}), RETIRE: {}}


def loop_factory(platform: str, shared_socket: bool):
    """The event loop each process runs. On Windows a listening socket shared between processes
    cannot be registered with a second process's I/O completion port (WinError 87: CPython #122240,
    uvicorn #1317), which the default ProactorEventLoop would do: the selector loop instead, as
    uvicorn itself does with several workers (its loops/asyncio.py). None: the platform's default."""
    if platform == "win32" and shared_socket:
        return asyncio.SelectorEventLoop
    return None


def config(app, s: Settings):
    return uvicorn.Config(
        app, interface="asgi3", http=HostedH11Protocol, ws="websockets-sansio", lifespan="auto",
        # ARR cannot carry compressed WebSocket frames (WinHTTP and websocket.dll support no
        # extension): never negotiate permessage-deflate, whatever IIS forwards (docs/windows.md W45).
        ws_per_message_deflate=False,
        ws_max_size=MAX_WEBSOCKET_MESSAGE,
        ws_ping_interval=WS_PING_SECONDS, ws_ping_timeout=WS_PING_SECONDS,
        # Trust is decided once, in the hosting layer: uvicorn itself believes no peer.
        proxy_headers=False, forwarded_allow_ips="",
        server_header=False, date_header=True,
        # The access log is the hosting layer's (JSON, with the request ID), as for WSGI apps.
        access_log=False, log_config=None, log_level=s.log_level,
        # Open connections a process serves at once; past it uvicorn answers 503 at once (it does
        # not stop accepting, as waitress does). Windows' select() takes 512 sockets a process.
        limit_concurrency=s.connections,
        # An idle kept-alive connection stays open as long as under waitress (channel_timeout).
        timeout_keep_alive=s.timeout_seconds,
        timeout_graceful_shutdown=s.timeout_seconds,
        h11_max_incomplete_event_size=MAX_HEADER_FIELD * 4,
        backlog=BACKLOG, workers=1,
    )


def server_for(app, s: Settings):
    class Server(uvicorn.Server):
        # uvicorn would put its own handlers in place of app.server.stopping's, and raise the signal
        # again once stopped: the stop is this project's (one path for every server and OS).
        @contextlib.contextmanager
        def capture_signals(self):
            yield

    return Server(config(app, s))


def serve(app, s: Settings, sock, stop_pipe=None) -> None:
    """One uvicorn process on sock. A stop (the process's own, or the launcher closing stop_pipe)
    ends it within APP_TIMEOUT_SECONDS (timeout_graceful_shutdown), as waitress' drain."""
    server = server_for(app, s)
    done = threading.Event()

    def stop():
        server.should_exit = True
        # uvicorn checks should_exit only once started: an app stuck in its lifespan startup would
        # never end, so the process ends itself once the drain's bound is over, with room for the
        # app's lifespan shutdown, which uvicorn does not bound (docker stop waits 35 s for 30).
        if not done.wait(s.timeout_seconds + LIFESPAN_SHUTDOWN_ROOM):
            logging.getLogger("app.server").warning("app: not stopped within %ss: ended", s.timeout_seconds)
            os._exit(1)

    stopping.install(stop)
    if stop_pipe is not None:
        def stop_when_told():
            wait_for_stop(stop_pipe)
            stop()

        threading.Thread(target=stop_when_told, daemon=True).start()
    print(f"Serving on http://{s.bind_address}:{s.port} (uvicorn, ASGI)", flush=True)
    try:
        with asyncio.Runner(loop_factory=loop_factory(sys.platform, stop_pipe is not None)) as runner:
            runner.run(server.serve(sockets=[sock]))
    finally:
        done.set()


def serve_on_socket(sock, stop_pipe) -> None:
    """A worker process's entry point (spawned: it loads the settings and the app itself)."""
    s = from_env()
    _log(s)
    serve(build(s), s, sock, stop_pipe=stop_pipe)


def run(app, s: Settings) -> None:
    _log(s)
    if s.workers == 1:
        serve(app, s, bind(s.bind_address, s.port, BACKLOG))
        return
    run_workers(s, serve_on_socket, "uvicorn")


def _log(s: Settings) -> None:
    logging.basicConfig(level=s.log_level.upper(), format="%(message)s", stream=sys.stdout)
