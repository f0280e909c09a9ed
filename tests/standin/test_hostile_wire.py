"""Hostile and malformed requests on the wire, each with the answer HTTP.sys/IIS gives and where that
is written. Every reply is also checked for what must never leak (versions, parser or Python
detail), and the stand-in must go on serving afterwards."""
import pytest

from standin.config import load
from standin.options import Options
from standin.request import Request
from standin.server import StandIn
from tests.standin.process import SERVER, WEB, run_standin, seen
from tests.support import stop, wait_until
from tests.wire import CASES, LEAKS, exchange


@pytest.fixture(scope="module")
def wire(tmp_path_factory, base_env, backend):
    # As the project configures IIS: no Server header on IIS's own responses.
    s = run_standin(tmp_path_factory.mktemp("wire"), base_env, backend, filtering='removeServerHeader="true"')
    yield s
    stop(s.proc)


@pytest.mark.parametrize("raw,expected", [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_B68_hostile_requests_get_http_sys_answers_without_leaks(wire, raw, expected):
    reply = exchange(wire.port, raw)
    status = int(reply.split(b" ", 2)[1]) if reply else None
    assert status == expected, reply[:300]
    if status == 400:
        assert reply.startswith(b"HTTP/1.1 400 "), reply[:100]  # HTTP.sys's status line, whatever was sent
    head = reply.split(b"\r\n\r\n", 1)[0].lower()
    assert b"\r\nserver:" not in head
    assert not any(leak in reply for leak in LEAKS), reply[:300]
    resp, _ = wire.get("/api/after")
    assert resp.status == 200


def test_B81_a_valid_request_then_a_malformed_one_in_one_write_get_200_then_400(wire):
    """Issue 23: the valid request was lost with the malformed one after it (only a 400 came back)."""
    reply = exchange(wire.port, b"GET /api/x HTTP/1.1\r\nHost: h\r\n\r\nGARBAGE\r\n\r\n", until_closed=True)
    import re

    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", reply)
    assert statuses == [b"200", b"400"], reply[:600]


def status_of(port: int, case_id: str):
    raw = next(c[1] for c in CASES if c[0] == case_id)
    reply = exchange(port, raw)
    return int(reply.split(b" ", 2)[1]) if reply else None


def test_B65_headers_over_http_sys_limits_are_400(wire):
    for case in ("field-over-maxfieldlength", "headers-over-maxrequestbytes"):
        assert status_of(wire.port, case) == 400, case
    just_under = b"GET /api/x HTTP/1.1\r\nHost: h\r\n" + b"".join(
        b"X-F%d: %s\r\n" % (i, b"b" * 1000) for i in range(15)) + b"\r\n"
    assert int(exchange(wire.port, just_under).split(b" ", 2)[1]) == 200


def test_B66_an_invalid_or_missing_host_is_400(wire):
    for case in ("host-with-slash", "host-with-space", "host-with-comma", "host-with-markup", "two-hosts",
                 "no-host-http11"):
        assert status_of(wire.port, case) == 400, case
    assert status_of(wire.port, "no-host-http10") == 200


def test_B67_an_absolute_form_target_takes_its_host_from_the_target(wire):
    reply = exchange(wire.port, b"GET http://public.example:8080/api/x?q=1 HTTP/1.1\r\nHost: other\r\n\r\n")
    forwarded = seen(reply.split(b"\r\n\r\n", 1)[1])
    assert forwarded["target"] == "/x?q=1"
    assert forwarded["headers"]["x-original-url"] == "/api/x?q=1"


def test_B69_a_remote_client_gets_no_backend_detail_in_a_502(tmp_path):
    web, server = tmp_path / "web.config", tmp_path / "server.config"
    web.write_text(WEB.format(port=9))
    server.write_text(SERVER.format(proxy="", existing="PassThrough", max_body=1000, filtering="", apphost="", security=""))
    standin = StandIn(Options(load(web, server), tmp_path))
    for remote, detailed in (("127.0.0.1", True), ("203.0.113.9", False)):
        req = Request("GET", "/api/x", [("Host", "h")], remote_addr=remote)
        body = standin.arr.bad_gateway(OSError("connect refused to 127.0.0.1:9"), req).text
        assert ("127.0.0.1:9" in body) is detailed and ("502.3" in body) is detailed


@pytest.mark.parametrize("location,rewritten", [
    ("http://127.0.0.1:{port}/landing", True),
    ("http://127.0.0.1:{port}", True),
    ("http://127.0.0.1:{port}0/landing", False),  # another port that starts with the same digits
    ("http://127.0.0.1:{port}.evil.example/x", False),
])
def test_B53_only_the_backend_origin_itself_is_rewritten(wire, backend, location, rewritten):
    value = location.format(port=backend)
    resp, _ = wire.get(f"/api/location?to={value}", headers={"Host": "public.example"})
    expected = "http://public.example" + value[len(f"http://127.0.0.1:{backend}"):] if rewritten else value
    assert resp.getheader("Location") == expected


def closed_after(sock, limit: float) -> float:
    """Seconds until the server closes sock (reads return nothing or the connection resets)."""
    import time

    started = time.monotonic()
    sock.settimeout(limit)
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        pass
    return time.monotonic() - started


def timed_standin(tmp_path_factory, base_env, backend, name: str, **seconds):
    """The stand-in with some of HTTP.sys's timers set (command-line names, underscores for dashes)."""
    extra = [arg for option, value in seconds.items() for arg in (f"--{option.replace('_', '-')}", str(value))]
    return run_standin(tmp_path_factory.mktemp(name), base_env, backend, filtering='removeServerHeader="true"',
                       extra=extra)


@pytest.fixture(scope="module")
def timers(tmp_path_factory, base_env, backend):
    """HTTP.sys's timers at one second each instead of 120."""
    s = timed_standin(tmp_path_factory, base_env, backend, "timers", header_wait=1, idle_connection=1,
                      entity_body=1, min_bytes_per_second=1000000)
    yield s
    stop(s.proc)


@pytest.fixture(scope="module")
def header_wait_only(tmp_path_factory, base_env, backend):
    """HeaderWait at one second, every other timer long: only HeaderWait can close in time."""
    s = timed_standin(tmp_path_factory, base_env, backend, "header-wait", header_wait=1, idle_connection=60,
                      entity_body=60)
    yield s
    stop(s.proc)


@pytest.fixture(scope="module")
def idle_only(tmp_path_factory, base_env, backend):
    """IdleConnection at one second, HeaderWait long: only the idle timer can close in time."""
    s = timed_standin(tmp_path_factory, base_env, backend, "idle", header_wait=60, idle_connection=1, entity_body=60)
    yield s
    stop(s.proc)


def test_B70_unfinished_headers_are_cut_off_after_header_wait(header_wait_only):
    import socket

    timers = header_wait_only
    clients = [socket.create_connection(("127.0.0.1", timers.port), timeout=5) for _ in range(100)]
    for client in clients:
        client.sendall(b"GET /api/x HTTP/1.1\r\nHost: h\r\nX-Slow: ")  # and nothing more
    try:
        assert max(closed_after(c, 5) for c in clients) < 3
    finally:
        for client in clients:
            client.close()
    resp, _ = timers.get("/api/after")
    assert resp.status == 200


def test_B70_an_idle_kept_alive_connection_is_closed(idle_only):
    import socket

    with socket.create_connection(("127.0.0.1", idle_only.port), timeout=5) as client:
        client.sendall(b"GET /iisstart.htm HTTP/1.1\r\nHost: h\r\n\r\n")
        assert client.recv(65536).startswith(b"HTTP/1.1 200")
        assert closed_after(client, 5) < 3


def test_B70_a_stalled_body_is_dropped_and_a_steady_one_is_not(timers):
    import socket
    import time

    with socket.create_connection(("127.0.0.1", timers.port), timeout=5) as client:
        client.sendall(b"POST /api/x HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n" + b"s" * 10)
        assert closed_after(client, 5) < 3
    with socket.create_connection(("127.0.0.1", timers.port), timeout=5) as client:
        client.sendall(b"POST /api/x HTTP/1.1\r\nHost: h\r\nContent-Length: 40\r\n\r\n")
        for _ in range(4):  # a piece every 0.5 s: slower in total than the timer, never idle that long
            time.sleep(0.5)
            client.sendall(b"t" * 10)
        assert b'"body_bytes": 40' in client.recv(65536)


def test_B70_a_client_that_does_not_read_its_response_is_cut_off(timers):
    """MinSendRate at 1 MB/s: a 50 MB response to a client that reads nothing for 6 s is abandoned
    once the socket buffers are full, instead of holding the backend's response forever."""
    import socket
    import time

    with socket.create_connection(("127.0.0.1", timers.port), timeout=5) as client:
        client.sendall(b"GET /api/big?mb=50 HTTP/1.1\r\nHost: h\r\n\r\n")
        time.sleep(6)
        received = 0
        client.settimeout(2)
        try:
            while chunk := client.recv(1 << 20):
                received += len(chunk)
        except (ConnectionResetError, TimeoutError, socket.timeout):
            pass
    assert received < 50 * 1024 * 1024


@pytest.mark.parametrize("kind", ["reset", "garbage"])
def test_B73_a_backend_that_resets_or_answers_garbage_is_502(wire, kind):
    resp, body = wire.get(f"/api/fault?kind={kind}")
    assert resp.status == 502
    assert not any(leak in body for leak in LEAKS)
    assert wire.get("/api/after")[0].status == 200


def test_B73_a_backend_that_dies_mid_body_cuts_the_client_stream(tmp_path, base_env, backend, wire):
    request = b"GET /api/fault?kind=cut HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
    # ARR's default buffer (4 MB) still holds the response: the client gets a 502 instead.
    assert exchange(wire.port, request).startswith(b"HTTP/1.1 502")
    streaming = run_standin(tmp_path, base_env, backend, proxy='responseBufferLimit="0"')
    try:
        head, _, body = exchange(streaming.port, request).partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200") and b"Content-Length: 1000000" in head
        assert 0 < len(body) < 1000000  # the client can tell: fewer bytes than announced, then the close
        assert streaming.get("/api/after")[0].status == 200
    finally:
        stop(streaming.proc)


def test_B78_a_malformed_chunk_after_the_body_began_is_400_at_once(wire):
    """A good chunk past the stand-in's whole-body buffer (so the backend request has begun), then a
    bad chunk size: HTTP.sys answers 400 and closes at once, and the log blames the client (a 400),
    not a backend that did nothing wrong (a 502.3)."""
    import socket
    import time

    big = b"a" * (1100 * 1024)
    with socket.create_connection(("127.0.0.1", wire.port), timeout=5) as client:
        started = time.monotonic()
        client.sendall(b"POST /api/b78 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % len(big)
                       + big + b"\r\nzz\r\nworld\r\n0\r\n\r\n")
        reply = client.recv(65536)
        took = time.monotonic() - started
    assert reply.startswith(b"HTTP/1.1 400 "), reply[:200]
    assert b"Server:" not in reply.split(b"\r\n\r\n")[0]
    assert took < 1, took
    line = wait_until(lambda: next((l for l in wire.log.read_text().splitlines() if "POST /api/b78" in l), None), 5,
                      "the log line")
    assert " 400 0 " in line and "/b78 failed" not in wire.log.read_text(), line
