"""The stand-in as a server in front of a real backend on loopback (docs/standin.md B50-B63)."""
import http.client
import json
import os
import re
import signal
import time
import urllib.request
import uuid

import pytest

from tests import w3c
from tests.standin.process import SERVER, WEB, run_standin, seen
from tests.support import free_port, stop, wait_until


@pytest.fixture
def iis(tmp_path, base_env, backend):
    s = run_standin(tmp_path, base_env, backend)
    yield s
    stop(s.proc)


def test_B50_forwarded_request_carries_what_arr_sends(iis, backend):
    resp, body = iis.get("/api/path?q=1", headers={
        "Host": "public.example:8080", "X-Forwarded-For": "198.51.100.7", "X-ARR-SSL": "spoofed",
        "Connection": "keep-alive, X-Drop-Me", "X-Drop-Me": "1", "X-Keep": "kept"})
    assert resp.status == 200
    got = seen(body)
    h = got["headers"]
    assert got["target"] == "/path?q=1"
    assert h["host"] == f"127.0.0.1:{backend}"
    assert h["x-forwarded-for"].startswith("198.51.100.7, 127.0.0.1:")  # appended, with the client port
    assert h["max-forwards"] == "10"
    uuid.UUID(h["x-arr-log-id"])
    assert h["x-original-url"] == "/api/path?q=1"
    assert h["x-forwarded-proto"] == "http"
    assert h["x-keep"] == "kept"
    assert "x-arr-ssl" not in h and "x-drop-me" not in h
    assert "user-agent" not in h  # the stand-in adds no client headers of its own


HOP_BY_HOP_REQUEST = {"Proxy-Authorization": "Basic eDp5", "TE": "trailers", "Upgrade": "h2c", "Keep-Alive": "300",
                      "Trailer": "X-T", "Proxy-Connection": "keep-alive"}


def test_B50_hop_by_hop_request_headers_stop_at_the_proxy(iis):
    resp, body = iis.get("/api/echo", headers={**HOP_BY_HOP_REQUEST, "X-Keep": "kept"})
    h = seen(body)["headers"]
    assert h["x-keep"] == "kept"
    assert not {name.lower() for name in HOP_BY_HOP_REQUEST} & set(h), h


def test_B52_hop_by_hop_response_headers_stop_at_the_proxy(tmp_path, base_env, backend):
    s = run_standin(tmp_path, base_env, backend)
    try:
        resp, body = s.get("/api/hop")
        names = {k.lower() for k, _ in resp.getheaders()}
        assert (resp.status, body, "x-kept" in names) == (200, b"ok", True)
        assert not names & {"keep-alive", "proxy-authenticate", "trailer", "upgrade", "proxy-connection", "x-listed"}
    finally:
        stop(s.proc)


def test_B51_preserve_host_header_and_xff_without_port(tmp_path, base_env, backend):
    s = run_standin(tmp_path, base_env, backend, proxy='preserveHostHeader="true" includePortInXForwardedFor="false"')
    try:
        h = seen(s.get("/api/x", headers={"Host": "public.example"})[1])["headers"]
        assert h["host"] == "public.example"
        assert h["x-forwarded-for"] == "127.0.0.1"
    finally:
        stop(s.proc)


def test_B52_response_headers_arr_and_iis_add(iis):
    resp, _ = iis.get("/api/x")
    assert resp.getheader("Server") == "Microsoft-IIS/10.0"
    assert sorted(v for k, v in resp.getheaders() if k == "X-Powered-By") == ["ARR/3.0", "ASP.NET"]


def test_B52_no_server_header_at_all_when_removed(tmp_path, base_env, backend):
    s = run_standin(tmp_path, base_env, backend, filtering='removeServerHeader="true"')
    try:
        for target in ("/api/x", "/api/big?mb=1", "/iisstart.htm", "/nothing"):
            resp, _ = s.get(target)
            assert resp.getheader("Server") is None, (target, resp.getheader("Server"))
    finally:
        stop(s.proc)


def test_B53_absolute_location_from_backend_is_rewritten_to_the_client_host(iis):
    resp, _ = iis.get("/api/redirect", headers={"Host": "public.example:8080"})
    assert resp.status == 302
    assert resp.getheader("Location") == "http://public.example:8080/landing"


def test_B54_stopped_backend_is_502_3(tmp_path, base_env):
    s = run_standin(tmp_path, base_env, free_port())  # nothing listens there
    try:
        started = time.monotonic()
        resp, body = s.get("/api/x")
        assert resp.status == 502 and b"502.3" in body
        assert time.monotonic() - started < 2.5  # the configured timeout is 2 s
    finally:
        stop(s.proc)


def test_B55_backend_slower_than_timeout_is_502_3_after_the_timeout(iis):
    started = time.monotonic()
    resp, body = iis.get("/api/slow?s=5")
    elapsed = time.monotonic() - started
    assert resp.status == 502 and b"502.3" in body
    assert 1.9 < elapsed < 4


def test_B56_100_mb_response_streams_without_being_held_in_memory(iis):
    before = iis.peak_rss_kb()
    conn, resp = iis.request("GET", "/api/big?mb=100")
    total = 0
    while chunk := resp.read(1024 * 1024):
        total += len(chunk)
    conn.close()
    assert total == 100 * 1024 * 1024
    grown_mb = (iis.peak_rss_kb() - before) / 1024
    assert grown_mb < 20, f"stand-in peak memory grew by {grown_mb:.0f} MB for a 100 MB response"


def test_B57_request_body_streams_to_the_backend(tmp_path, base_env, backend):
    iis = run_standin(tmp_path, base_env, backend, max_body=100 * 1024 * 1024)

    def body():
        for _ in range(50):
            yield b"y" * 1024 * 1024

    before = iis.peak_rss_kb()
    conn, resp = iis.request("POST", "/api/upload", body=body(), headers={"Transfer-Encoding": "chunked"})
    try:
        assert seen(resp.read())["body_bytes"] == 50 * 1024 * 1024
        conn.close()
        assert (iis.peak_rss_kb() - before) / 1024 < 20
    finally:
        stop(iis.proc)


def test_B57_chunked_body_over_the_limit_is_404_13(tmp_path, base_env, backend):
    s = run_standin(tmp_path, base_env, backend, max_body=1000)
    try:
        conn, resp = s.request("POST", "/api/upload", body=iter([b"z" * 600, b"z" * 600]),
                               headers={"Transfer-Encoding": "chunked"})
        assert resp.status == 404 and b"404.13" in resp.read()
        conn.close()
    finally:
        stop(s.proc)


def test_B57_a_chunked_body_of_exactly_the_limit_passes(tmp_path, base_env, backend):
    """maxAllowedContentLength is the largest body taken, chunked too: 1,000 bytes against 1,000."""
    s = run_standin(tmp_path, base_env, backend, max_body=1000)
    try:
        conn, resp = s.request("POST", "/api/upload", body=iter([b"z" * 600, b"z" * 400]),
                               headers={"Transfer-Encoding": "chunked"})
        assert resp.status == 200 and seen(resp.read())["body_bytes"] == 1000
        conn.close()
    finally:
        stop(s.proc)


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_B64_the_backend_hears_of_a_request_while_its_body_streams(tmp_path, base_env, backend, framing):
    """As ARR passes a body on (B64): the backend request starts with the headers, and the body
    follows piece by piece, so the backend is at work before the client's last byte. (Issue 19's
    stand-in held every body whole first, a defence IIS does not have.)"""
    import socket

    size = 3 * 1024 * 1024
    s = run_standin(tmp_path, base_env, backend)
    try:
        client = socket.create_connection(("127.0.0.1", s.port), timeout=30)
        length = f"Content-Length: {size}" if framing == "content-length" else "Transfer-Encoding: chunked"
        head = f"POST /api/arrival HTTP/1.1\r\nHost: x\r\n{length}\r\n\r\n".encode()

        def piece(data: bytes) -> bytes:
            return data if framing == "content-length" else b"%x\r\n%s\r\n" % (len(data), data)

        client.sendall(head + piece(b"a" * (size - 10)))
        time.sleep(1.0)  # the client pauses before the last bytes: is the backend already working?
        last_bytes_sent = time.monotonic()
        client.sendall(piece(b"b" * 10) + (b"" if framing == "content-length" else b"0\r\n\r\n"))
        reply = client.makefile("rb").read1(65536)
        client.close()
        seen_by_backend = json.loads(reply.split(b"\r\n\r\n", 1)[1])
        assert seen_by_backend["body_bytes"] == size
        assert seen_by_backend["arrived"] < last_bytes_sent - 0.5
    finally:
        stop(s.proc)


def test_B64_the_clients_length_is_kept_and_a_chunked_body_stays_chunked(iis):
    _, body = iis.get("/api/echo", body=b"x" * 5000, headers={"Content-Length": "5000"})
    sized = {k.lower(): v for k, v in seen(body)["headers"].items()}
    conn, resp = iis.request("POST", "/api/echo", body=iter([b"x" * 3000, b"x" * 2000]),
                             headers={"Transfer-Encoding": "chunked"})
    chunked = {k.lower(): v for k, v in seen(resp.read())["headers"].items()}
    conn.close()
    assert sized.get("content-length") == "5000" and "transfer-encoding" not in sized
    assert chunked.get("transfer-encoding") == "chunked" and "content-length" not in chunked


def test_B64_stalled_uploads_hold_no_body_in_the_stand_in(tmp_path, base_env, backend):
    """Issue 19's attack, now streamed as ARR streams: 500 uploads of 1,000,000 bytes that stall
    before their end. The bodies are the backend's to hold; the stand-in keeps a connection's
    read-ahead each (2 x 16 KiB), not the bodies (before issue 19: 781 MB; with a spool: 141 MB)."""
    import socket

    def received() -> int:
        with urllib.request.urlopen(f"http://127.0.0.1:{backend}/received", timeout=10) as r:
            return json.load(r)["bytes"]

    s = run_standin(tmp_path, base_env, backend)
    clients = []
    try:
        before, before_bytes = s.peak_rss_kb(), received()
        body = b"a" * 1_000_000
        for _ in range(500):
            clients.append(socket.create_connection(("127.0.0.1", s.port), timeout=30))
            clients[-1].sendall(b"POST /api/x HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (len(body) + 1)
                                + body)
        wait_until(lambda: received() >= before_bytes + 500 * len(body), 60, "the bodies to reach the backend",
                   interval=0.2)
        peak_mb, grown_mb = s.peak_rss_kb() / 1024, (s.peak_rss_kb() - before) / 1024
        print(f"500 stalled uploads of 1,000,000 bytes: the stand-in grew by {grown_mb:.0f} MB to {peak_mb:.0f} MB")
        assert grown_mb < 500 * 64 / 1024 + 24 and peak_mb < 120, (grown_mb, peak_mb)
    finally:
        for client in clients:
            client.close()
        stop(s.proc)


def test_B64_a_client_that_leaves_mid_body_is_not_a_backend_failure(iis):
    """100 clients that close half way through their body: HTTP.sys ends the request (no response
    to send), nothing is logged as 502.3, and the next request is served."""
    import socket

    for _ in range(100):
        client = socket.create_connection(("127.0.0.1", iis.port), timeout=30)
        client.sendall(b"POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n" + b"a" * 100_000)
        client.close()
    assert iis.get("/api/after")[0].status == 200
    wait_until(lambda: "/api/after" in iis.log.read_text(), 10, "the log to show the next request")
    assert "502.3" not in iis.log.read_text() and " 502 " not in iis.log.read_text()


def test_B73_a_backend_that_leaves_mid_body_is_a_502_3_and_nothing_else(iis):
    """Issue 23: a backend reset part way through a request body gave a 500 now and then (the body
    closed twice); streamed, the wait for the client's next piece clashed with aiohttp's own read of
    what was left. 20 in a row: each a 502, the stand-in's log without an unhandled error."""
    import socket

    for _ in range(20):
        # Part of the body, then the client waits: the stand-in is waiting for its next piece when
        # the backend leaves.
        with socket.create_connection(("127.0.0.1", iis.port), timeout=30) as client:
            client.sendall(b"POST /api/reset-mid-body HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n"
                           + b"r" * 100_000)
            assert client.makefile("rb").readline().split()[1] == b"502"
    assert iis.get("/api/after")[0].status == 200
    wait_until(lambda: "/api/after" in iis.log.read_text(), 10, "the log to show the next request")
    log = iis.log.read_text()
    assert "Unhandled exception" not in log and "Error handling request" not in log, log[-3000:]


def first_byte_seconds(standin) -> float:
    started = time.monotonic()
    conn, resp = standin.request("GET", "/api/trickle?pause=1.5")
    resp.read(6)
    elapsed = time.monotonic() - started
    resp.read()
    conn.close()
    return elapsed


def test_B58_response_buffer_limit_zero_streams_and_default_buffers(tmp_path, base_env, backend):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    streaming = run_standin(tmp_path / "a", base_env, backend, proxy='responseBufferLimit="0"')
    buffering = run_standin(tmp_path / "b", base_env, backend)
    try:
        assert first_byte_seconds(streaming) < 1.0
        assert first_byte_seconds(buffering) >= 1.4  # held until the backend finished (under 4096 KB)
    finally:
        stop(streaming.proc)
        stop(buffering.proc)


@pytest.mark.parametrize("existing,passes", [("PassThrough", True), ("Auto", True), ("Replace", False)])
def test_B59_backend_error_bodies_per_existing_response(tmp_path, base_env, backend, existing, passes):
    s = run_standin(tmp_path, base_env, backend, existing=existing)
    try:
        resp, body = s.get("/api/fail")
        assert resp.status == 500
        assert (b"backend says no" in body) is passes
    finally:
        stop(s.proc)


def test_B60_abort_request_drops_the_connection(iis):
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        iis.get("/abort")


def test_B03_relative_rewrite_is_served_from_the_site_on_the_wire(iis):
    resp, body = iis.get("/pretty")
    assert (resp.status, body) == (200, b"start page")


def test_B61_site_serves_default_document_and_hides_web_config(iis):
    resp, body = iis.get("/")
    assert (resp.status, body) == (200, b"start page")
    resp, body = iis.get("/web.config")
    assert resp.status == 404 and b"404.8" in body
    resp, body = iis.get("/nothing-here")
    assert resp.status == 404


def test_B62_request_filtering_applies_on_the_wire(iis):
    resp, body = iis.get("/api/a+b")
    assert resp.status == 404 and b"404.11" in body
    conn, resp = iis.request("POST", "/api/x", body=b"", headers={"Content-Length": "30000001"})
    assert resp.status == 404 and b"404.13" in resp.read()
    conn.close()


def test_B63_https_sets_https_variable_and_arr_ssl_header(iis):
    resp, body = iis.get("/api/x", tls=True)
    h = seen(body)["headers"]
    assert h["x-forwarded-proto"] == "https"
    assert "x-arr-ssl" in h


CUSTOM_FIELDS = """<system.applicationHost><sites><siteDefaults><logFile><customFields>
  <add logFieldName="X-ARR-LOG-ID" sourceName="X-ARR-LOG-ID" sourceType="RequestHeader" />
  <add logFieldName="UA" sourceName="User-Agent" sourceType="RequestHeader" />
  <add logFieldName="Type" sourceName="Content-Type" sourceType="ResponseHeader" />
  <add logFieldName="Method" sourceName="REQUEST_METHOD" sourceType="ServerVariable" />
</customFields></logFile></siteDefaults></sites></system.applicationHost>"""


def test_B74_w3c_custom_fields_log_the_guid_arr_sent_the_backend(tmp_path, base_env, backend):
    s = run_standin(tmp_path, base_env, backend, apphost=CUSTOM_FIELDS)
    try:
        resp, body = s.get("/api/x", headers={"User-Agent": "probe 1"})
        guid = seen(body)["headers"]["x-arr-log-id"]
        line = wait_until(lambda: next((l for l in s.log.read_text().splitlines() if "/api/x" in l), None), 5,
                          "the log line")
        assert line.endswith(f" {guid} probe+1 application/json;+charset=utf-8 GET")
        # Named by the #Fields directive, as in IIS's log file (the smoke suite reads it the same way).
        [record] = [r for r in w3c.records(s.log.read_text()) if r["cs-uri-stem"] == "/api/x"]
        assert (record["X-ARR-LOG-ID"], record["UA"], record["sc-status"]) == (guid, "probe+1", "200")
    finally:
        stop(s.proc)


def test_B74_custom_fields_are_server_level_and_typed(tmp_path):
    from standin.config import ConfigError, load

    web, server = tmp_path / "web.config", tmp_path / "server.config"
    web.write_text(WEB.format(port=9))
    bad = CUSTOM_FIELDS.replace('sourceType="ServerVariable"', 'sourceType="Cookie"')
    server.write_text(SERVER.format(proxy="", existing="Auto", max_body=1, filtering="", apphost=bad, security=""))
    with pytest.raises(ConfigError, match="sourceType"):
        load(web, server)
    web.write_text(f"<configuration>{CUSTOM_FIELDS}</configuration>")
    server.write_text(SERVER.format(proxy="", existing="Auto", max_body=1, filtering="", apphost="", security=""))
    with pytest.raises(ConfigError, match="server level"):
        load(web, server)


def test_log_line_per_request(iis):
    iis.get("/api/logged?x=1")
    deadline = time.monotonic() + 5
    while "/api/logged x=1" not in iis.log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert " GET /api/logged x=1 " in iis.log.read_text()


def test_B63_https_from_a_password_protected_pfx(tmp_path, base_env, backend):
    s = run_standin(tmp_path, base_env, backend, pfx_password="s3cret")
    try:
        h = seen(s.get("/api/x", tls=True)[1])["headers"]
        assert h["x-forwarded-proto"] == "https"
        assert re.fullmatch(r"\d+\|\d+\|[^|]*trustme[^|]*\|[^|]*", h["x-arr-ssl"]), h["x-arr-ssl"]
    finally:
        stop(s.proc)


def test_several_processes_share_the_port_and_stop_together(tmp_path, base_env, backend):
    s = run_standin(tmp_path, base_env, backend, extra=["--processes", "3"])
    children = [int(p) for p in open(f"/proc/{s.proc.pid}/task/{s.proc.pid}/children").read().split()]
    try:
        assert len(children) == 2
        for _ in range(20):
            assert s.get("/api/x")[0].status == 200
        s.proc.send_signal(signal.SIGTERM)
        assert s.proc.wait(timeout=15) == 0
        for pid in children:
            assert not os.path.exists(f"/proc/{pid}") or "zombie" in open(f"/proc/{pid}/status").read().lower()
    finally:  # a failure must not leave the workers serving
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        stop(s.proc)


def test_B57_expect_100_continue_is_answered_before_the_body(iis):
    import socket

    body = b"x" * 100_000
    with socket.create_connection(("127.0.0.1", iis.port), timeout=5) as sock:
        sock.sendall(b"POST /api/upload HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n"
                     b"Expect: 100-continue\r\nConnection: close\r\n\r\n" % len(body))
        assert sock.recv(64).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        sock.sendall(body)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    head, _, payload = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    got = seen(payload)
    assert got["body_bytes"] == len(body) and "expect" not in got["headers"]


def test_B57_expect_100_continue_over_the_limit_gets_404_13_without_continue(iis):
    import socket

    with socket.create_connection(("127.0.0.1", iis.port), timeout=5) as sock:
        sock.sendall(b"POST /api/upload HTTP/1.1\r\nHost: h\r\nContent-Length: 30000001\r\n"
                     b"Expect: 100-continue\r\nConnection: close\r\n\r\n")
        reply = sock.recv(65536)
    assert reply.startswith(b"HTTP/1.1 404") and b"404.13" in reply
