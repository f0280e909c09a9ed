"""The real app servers on loopback: the launcher under gunicorn and waitress, the config error exit."""
import http.client
import json
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from tests.app.support import body_of, refused, send_raw, wait_for_workers
from tests.paths import ROOT
from tests.support import free_port, stop, wait_until


@pytest.mark.parametrize("server", ["gunicorn", "waitress"])
def test_launcher_serves_the_app_with_an_access_log(server, app_server):
    s = app_server(server)
    with urllib.request.urlopen(s.url("/help"), timeout=5) as r:
        assert r.read() == b"This is the Help Page"
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"http://127.0.0.1:{s.port}/help", timeout=5)
    assert err.value.code == 404
    stop(s.proc)
    prefix, text = s.prefix, s.log.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    help_line = next(line for line in lines if line["path"] == f"/{prefix}/help")
    assert (help_line["method"], help_line["status"], help_line["client"]) == ("GET", 200, "127.0.0.1")
    assert len(help_line["request_id"]) == 36 and help_line["duration_ms"] >= 0
    assert "Debugger" not in text and "development server" not in text


@pytest.mark.parametrize("spec,message", [
    ("no_such_package.web:app", "no module named 'no_such_package'"),
    ("app.web:create_app", "if it is a factory, write app.web:create_app()"),
])
def test_launcher_exits_2_when_app_module_cannot_load(project_env, base_env, spec, message):
    env = {**base_env, **project_env, "APP_MODULE": spec}
    out = subprocess.run([sys.executable, "-m", "app.server"], env=env, cwd=ROOT, capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 2
    assert out.stderr.startswith(f"app: APP_MODULE={spec!r}") and message in out.stderr


def test_launcher_exits_2_on_bad_settings(project_env, base_env):
    env = {**base_env, **project_env, "APP_PORT": "nope"}
    out = subprocess.run([sys.executable, "-m", "app.server"], env=env, cwd=ROOT, capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 2
    assert "APP_PORT='nope' is invalid" in out.stderr


@pytest.mark.parametrize("server", ["gunicorn", "waitress"])
@pytest.mark.parametrize("trusted", [True, False])
def test_forwarded_headers_are_used_only_from_the_trusted_proxy(server, trusted, app_server):
    # Loopback plays IIS's address when trusted; otherwise the proxy is elsewhere.
    s = app_server(server, APP_DIAGNOSTICS="true", IIS_ADDRESS="127.0.0.1" if trusted else "192.0.2.1")
    port = s.port
    req = urllib.request.Request(s.url("/_diagnostics"), headers={
        "X-Forwarded-For": "203.0.113.9", "X-Original-Host": "public.example", "X-Forwarded-Proto": "https"})
    with urllib.request.urlopen(req, timeout=5) as r:
        seen = json.load(r)
    if trusted:
        assert (seen["remote_addr"], seen["host"], seen["scheme"]) == ("203.0.113.9", "public.example", "https")
    else:
        assert (seen["remote_addr"], seen["host"], seen["scheme"]) == ("127.0.0.1", f"127.0.0.1:{port}", "http")


def test_healthcheck_exit_codes(project_env, base_env, app_server):
    check = [sys.executable, "-m", "app.server.healthcheck"]
    nothing_there = {**base_env, **project_env, "APP_PORT": str(free_port())}
    assert subprocess.run(check, env=nothing_there, cwd=ROOT, capture_output=True, timeout=30).returncode == 1
    s = app_server()
    assert subprocess.run(check, env=s.env, cwd=ROOT, capture_output=True, timeout=30).returncode == 0


@pytest.mark.parametrize("server", ["gunicorn", "waitress"])
def test_a_stop_finishes_the_request_in_flight_and_takes_no_new_one(server, app_server):
    """docker stop: a request already running completes, a new connection is refused, an idle
    kept-alive one is closed, and the server exits 0. gunicorn does it itself (graceful_timeout);
    waitress through app.server.drain, reached by SIGTERM here and by CTRL_SHUTDOWN_EVENT on Windows: both
    call app.server.stopping.on_stop_event (docs/windows.md W18)."""
    s = app_server(server, APP_DIAGNOSTICS="true")
    proc, port, prefix, log = s.proc, s.port, s.prefix, s.log
    idle = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    idle.request("GET", f"/{prefix}/health")
    assert idle.getresponse().read()  # kept alive, now idle
    result = {}

    def slow_request():
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/{prefix}/_diagnostics?delay=2", timeout=30) as r:
            result["status"], result["body"] = r.status, json.load(r)

    client = threading.Thread(target=slow_request)
    client.start()
    try:
        wait_until(lambda: "request in flight" in log.read_text(), 15, "the request to be in flight")
        proc.send_signal(signal.SIGTERM)
        wait_until(lambda: refused(port), 5, "new connections to be refused")
        client.join(timeout=30)
        assert result.get("status") == 200, log.read_text()
        # Soon after, not at the bound (APP_TIMEOUT_SECONDS, 30 s): the idle connection holds nothing up.
        assert proc.wait(timeout=10) == 0, log.read_text()
        if server == "waitress":  # what arrived, where: the line the Windows run reads (docs/windows.md W18)
            assert f"app: stop received: SIGTERM in process {proc.pid}" in log.read_text()
        # The idle connection was closed by the server, not left to be reset mid-request.
        idle.sock.settimeout(5)
        assert idle.sock.recv(1) == b""
    finally:
        idle.close()


def test_a_waitress_stop_is_bounded_by_app_timeout_seconds(app_server):
    """A request that outlives the bound does not hold the stop: the server exits at the bound."""
    s = app_server("waitress", APP_DIAGNOSTICS="true", APP_TIMEOUT_SECONDS="1")
    proc, log = s.proc, s.log

    def long_request():
        try:
            urllib.request.urlopen(s.url("/_diagnostics?delay=20"), timeout=30).read()
        except OSError:
            pass

    threading.Thread(target=long_request, daemon=True).start()
    wait_until(lambda: "request in flight" in log.read_text(), 15, "the request to be in flight")
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0, log.read_text()
    assert time.monotonic() - started < 5
    assert "stop bound of 1s reached with 1 connections busy" in log.read_text()


@pytest.mark.parametrize("server", ["gunicorn", "waitress"])
def test_app_timeout_does_not_cut_a_running_request(server, app_server):
    """APP_TIMEOUT_SECONDS is no limit on a request's run time on either server (README): gthread
    workers keep their heartbeat while a thread works, and waitress' channel_timeout closes idle
    connections only (waitress/server.py maintenance(): channels without requests)."""
    s = app_server(server, APP_DIAGNOSTICS="true", APP_TIMEOUT_SECONDS="2")
    started = time.monotonic()
    with urllib.request.urlopen(s.url("/_diagnostics?delay=5"), timeout=30) as r:
        assert r.status == 200
    assert time.monotonic() - started >= 5


@pytest.mark.parametrize("workers", ["1", "2"])
def test_waitress_keeps_serving_while_200_uploads_trickle(app_server, workers):
    """The Windows app server behind IIS: slow bodies are read in waitress' I/O loop (no thread
    waits on them), and 200 of them stay under its connection limit, so other requests go on; in
    one process or several sharing the socket."""
    s = app_server("waitress", APP_DIAGNOSTICS="true", APP_WORKERS=workers)
    if workers != "1":
        wait_for_workers(s, int(workers))
    port, prefix = s.port, s.prefix
    clients = []
    try:
        head = f"POST /{prefix}/_diagnostics HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nx".encode()
        for _ in range(200):
            clients.append(socket.create_connection(("127.0.0.1", port), timeout=10))
            clients[-1].sendall(head)
        worst = 0.0
        for _ in range(10):
            for client in clients:
                client.send(b"x")
            started = time.monotonic()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/{prefix}/health", timeout=10) as r:
                assert r.status == 200
            worst = max(worst, time.monotonic() - started)
        assert worst < 1.0
    finally:
        for client in clients:
            client.close()


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on port, from /proc (no traffic needed)."""
    found = set()
    for line in open("/proc/net/tcp").read().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
            found.add(".".join(str(int(address[i:i + 2], 16)) for i in (6, 4, 2, 0)))
    return found


@pytest.mark.parametrize("server", ["gunicorn", "waitress"])
@pytest.mark.parametrize("iis_address,bound", [("127.0.0.1", "127.0.0.1"), ("172.30.50.10", "0.0.0.0")])
def test_the_app_listens_on_loopback_only_when_iis_is_local(server, iis_address, bound, app_server):
    """A bare server (IIS_ADDRESS=127.0.0.1): no other machine reaches the app past IIS."""
    assert listening_addresses(app_server(server, IIS_ADDRESS=iis_address).port) == {bound}


@pytest.mark.parametrize("server", ["gunicorn", "waitress"])
def test_bodies_are_held_to_max_body_bytes_exactly_chunked_or_not(server, app_server):
    """On the wire, so that a chunked body arrives without CONTENT_LENGTH as the servers pass it
    (gunicorn: Transfer-Encoding left to the app; waitress: dechunked by the server): the limit's
    own size passes, one byte more is 413, for a declared length and a chunked body alike."""
    s = app_server(server, MAX_BODY_BYTES="10", APP_MODULE="tests.app.wsgi_apps:plain", IIS_ADDRESS="127.0.0.1")

    def post(size: int, chunked: bool) -> bytes:
        body = b"y" * size
        framing = (b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % size + body + b"\r\n0\r\n\r\n" if chunked
                   else b"Content-Length: %d\r\n\r\n" % size + body)
        head = f"POST /{s.prefix}/up HTTP/1.1\r\nHost: app\r\nX-Original-Host: h\r\nConnection: close\r\n"
        return send_raw(s.port, head.encode() + framing)

    for chunked in (False, True):
        ok = post(10, chunked)
        assert ok.startswith(b"HTTP/1.1 200") and body_of(ok).endswith(b"|/up|10|" + b"y" * 10), (chunked, ok[-200:])
        assert post(11, chunked).startswith(b"HTTP/1.1 413"), chunked


@pytest.mark.parametrize("server", ["gunicorn", "waitress"])
def test_remote_user_only_from_iis_and_never_from_another_spelling(server, app_server):
    """On the wire, where the WSGI server maps header names: X_Remote_User would fold into the same
    HTTP_X_REMOTE_USER key (Django's CVE-2015-0219); gunicorn (header_map "drop", 22+) and waitress
    drop names with an underscore, so from IIS's own address only the real spelling counts."""
    s = app_server(server, APP_DIAGNOSTICS="true", IIS_ADDRESS="127.0.0.1")

    def remote_user(*headers: str):
        raw = (f"GET /{s.prefix}/_diagnostics HTTP/1.1\r\nHost: app\r\nX-Original-Host: h\r\nConnection: close\r\n"
               + "".join(f"{h}\r\n" for h in headers) + "\r\n")
        return json.loads(body_of(send_raw(s.port, raw.encode())))["remote_user"]

    assert remote_user("X-Remote-User: CORP\\alice") == "CORP\\alice"
    assert remote_user("X_Remote_User: CORP\\mallory") is None
    assert remote_user("X_Remote_User: CORP\\mallory", "X-Remote-User: CORP\\alice") == "CORP\\alice"


def test_app_connections_is_the_number_of_clients_a_process_serves(app_server):
    """waitress counts its listening socket and its trigger among connection_limit: APP_CONNECTIONS=2
    must serve two clients (passed as is, it served none), and a third waits until one closes."""
    s = app_server("waitress", APP_CONNECTIONS="2")
    held = [http.client.HTTPConnection("127.0.0.1", s.port, timeout=5) for _ in range(2)]
    try:
        for conn in held:
            conn.request("GET", f"/{s.prefix}/health")
            assert conn.getresponse().read()  # each served, and kept alive
        third = http.client.HTTPConnection("127.0.0.1", s.port, timeout=1)
        with pytest.raises(TimeoutError):
            third.request("GET", f"/{s.prefix}/health")
            third.getresponse()
        third.close()
        held[0].close()
        with urllib.request.urlopen(s.url("/health"), timeout=10) as r:
            assert r.status == 200
    finally:
        for conn in held:
            conn.close()
