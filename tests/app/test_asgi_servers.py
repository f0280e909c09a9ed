"""uvicorn as the launcher runs an ASGI app (app/server/uvicorn_server.py): real processes on
loopback; the stop goes through app.server.stopping as for waitress, several workers share one
address, and no WebSocket extension is ever negotiated (docs/windows.md W43, W45)."""
import asyncio
import json
import signal
import socket
import threading

import pytest
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.sync.client import connect

from app.server.uvicorn_server import loop_factory
from tests.app.support import IIS_LOOPBACK, refused, wait_for_workers, wire
from tests.support import wait_until

PLAIN = "tests.app.asgi_apps:plain"
ASGI = dict(APP_MODULE=PLAIN, IIS_ADDRESS=IIS_LOOPBACK, APP_DIAGNOSTICS="true", IIS_STATIC_FILES="false")


def test_the_event_loop_on_windows_is_the_selector_loop_for_a_shared_socket():
    assert loop_factory("win32", shared_socket=True) is asyncio.SelectorEventLoop
    assert loop_factory("win32", shared_socket=False) is None  # one process: the Proactor default
    assert loop_factory("linux", shared_socket=True) is None


def in_flight(s, result: dict) -> threading.Thread:
    """A diagnostics request that takes 2 s, from IIS; returns once the app says it is in flight."""
    def slow():
        result["status"] = wire(s.port, "GET", f"/{s.prefix}/_diagnostics?delay=2")[0]

    client = threading.Thread(target=slow)
    client.start()
    wait_until(lambda: "request in flight" in s.log.read_text(), 15, "the request to be in flight")
    return client


def test_uvicorn_does_not_take_over_the_stop(app_server):
    """The stop arrives through app.server.stopping (which says so), not uvicorn's own handlers."""
    s = app_server(**ASGI)
    result = {}
    client = in_flight(s, result)
    s.proc.send_signal(signal.SIGTERM)
    client.join(timeout=30)
    assert s.proc.wait(timeout=15) == 0, s.log.read_text()
    log = s.log.read_text()
    assert result.get("status") == 200, log
    # Said before uvicorn shuts down: uvicorn's own handlers would stop it first and raise the
    # signal again only once it had finished (its capture_signals).
    assert "app: stop received: SIGTERM" in log.partition("Shutting down")[0], log


def test_an_asgi_worker_drains_a_request_in_flight_on_stop(app_server):
    s = app_server(APP_WORKERS="2", **ASGI)
    workers = wait_for_workers(s, 2)
    result = {}
    client = in_flight(s, result)
    s.proc.send_signal(signal.SIGTERM)
    wait_until(lambda: refused(s.port), 10, "new connections to be refused")
    client.join(timeout=30)
    assert result.get("status") == 200, s.log.read_text()
    assert s.proc.wait(timeout=15) == 0, s.log.read_text()
    assert len(workers) == 2


def test_asgi_workers_share_one_address_and_a_killed_one_is_replaced(app_server):
    import os

    s = app_server(APP_WORKERS="2", **ASGI)
    first = wait_for_workers(s, 2)
    victim = sorted(first)[0]
    os.kill(victim, signal.SIGKILL)
    wait_until(lambda: len(wait_for_workers(s, 2) - {victim}) == 2, 20, "a replacement worker")
    assert wire(s.port, "GET", f"/{s.prefix}/health")[0] == 200


def websocket(s, **kw):
    """A WebSocket to the ASGI app from IIS's address, as IIS forwards one (X-Original-Host)."""
    sock = socket.create_connection(("127.0.0.1", s.port), source_address=(IIS_LOOPBACK, 0))
    return connect(f"ws://127.0.0.1:{s.port}/{s.prefix}/ws", sock=sock,
                   additional_headers={"X-Original-Host": "localhost"}, **kw)


def test_uvicorn_never_negotiates_compression(app_server):
    s = app_server(**ASGI)
    with websocket(s, extensions=[ClientPerMessageDeflateFactory()], max_size=None) as ws:
        assert "Sec-WebSocket-Extensions" not in ws.response.headers
        assert ws.response.headers["X-Request-ID"]
        ws.send("hello")
        assert ws.recv() == "hello"
        message = b"\x01" * (1024 * 1024)
        ws.send(message)
        assert ws.recv() == message


def test_a_message_over_the_limit_closes_the_websocket_with_1009(app_server):
    from websockets.exceptions import ConnectionClosed

    s = app_server(**ASGI)
    with pytest.raises(ConnectionClosed) as closed:
        with websocket(s, max_size=None) as ws:
            ws.send(b"\x01" * (4 * 1024 * 1024 + 1))
            ws.recv(timeout=10)
    # Refused, never echoed: a close with 1009, or, when the client was still sending as the server
    # closed, a connection reset that took the close frame with it (TCP drops unread data).
    assert closed.value.rcvd is None or closed.value.rcvd.code == 1009


def test_open_websockets_are_closed_with_1012_on_stop(app_server):
    s = app_server(**ASGI)
    with websocket(s) as ws:
        ws.send("before")
        assert ws.recv() == "before"
        s.proc.send_signal(signal.SIGTERM)
        from websockets.exceptions import ConnectionClosed

        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=15)
    assert closed.value.rcvd.code == 1012
    assert s.proc.wait(timeout=15) == 0


def test_the_access_log_has_the_websocket_with_its_status(app_server):
    s = app_server(**ASGI)
    with websocket(s) as ws:
        ws.send("x")
        ws.recv()
    wait_until(lambda: '"status": 101' in s.log.read_text(), 10, "the access line")
    line = next(json.loads(x) for x in s.log.read_text().splitlines() if '"status": 101' in x)
    assert line["path"] == f"/{s.prefix}/ws" and line["request_id"]


def test_an_app_stuck_in_its_startup_still_ends_within_the_bound(project_env, base_env, tmp_path):
    import os
    import subprocess
    import sys
    import time

    from app.server.uvicorn_server import LIFESPAN_SHUTDOWN_ROOM
    from tests.support import SESSION_MARK, free_port, stop

    log = tmp_path / "stuck.log"
    env = {**base_env, **project_env, "APP_MODULE": "tests.app.asgi_apps:stuck_in_startup", "APP_WORKERS": "1",
           "IIS_STATIC_FILES": "false", "APP_TIMEOUT_SECONDS": "2", "APP_PORT": str(free_port()),
           SESSION_MARK: str(os.getpid())}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "app.server"], env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        wait_until(lambda: "Waiting for application startup" in log.read_text(), 15, "the startup to begin")
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 1, log.read_text()
        assert time.monotonic() - started < 2 + LIFESPAN_SHUTDOWN_ROOM + 2 and "not stopped within 2s" in log.read_text()
    finally:
        stop(proc)


def test_connections_uvicorn_accepts_have_nagle_off(project_env):
    """asyncio turns Nagle off only on sockets that say they are TCP, which sockets accepted from
    socket.create_server's (and every socket Windows' Proactor accepts on) do not: each small
    response then waited for the client's delayed ACK (about 40 ms)."""
    from uvicorn.server import ServerState

    from app.config import from_env
    from app.server.uvicorn_server import config

    cfg = config(object(), from_env(project_env))
    cfg.load()

    async def accepted_nodelay() -> int:
        state = ServerState()
        listening = socket.create_server(("127.0.0.1", 0))  # protocol 0, as the launcher's
        server = await asyncio.get_running_loop().create_server(
            lambda: cfg.http_protocol_class(config=cfg, server_state=state, app_state={}), sock=listening)
        async with server:
            _, writer = await asyncio.open_connection(*listening.getsockname())
            while not state.connections:
                await asyncio.sleep(0.01)
            [connection] = state.connections
            value = connection.transport.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            writer.close()
        return value

    assert asyncio.run(asyncio.wait_for(accepted_nodelay(), 10)) != 0
