"""Hostile and malformed requests on the wire, each with the answer HTTP.sys/IIS gives and where that
is written. Every reply is also checked for what must never leak (versions, parser or Python
detail), and the stand-in must go on serving afterwards."""
import pytest

from standin.config import load
from standin.request import Request
from standin.server import StandIn
from tests.standin.test_proxy import SERVER, WEB, run_standin, seen
from tests.support import stop
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
    head = reply.split(b"\r\n\r\n", 1)[0].lower()
    assert b"\r\nserver:" not in head
    assert not any(leak in reply for leak in LEAKS), reply[:300]
    resp, _ = wire.get("/api/after")
    assert resp.status == 200


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
    server.write_text(SERVER.format(proxy="", existing="PassThrough", max_body=1000, filtering=""))
    standin = StandIn(load(web, server), tmp_path)
    for remote, detailed in (("127.0.0.1", True), ("203.0.113.9", False)):
        req = Request("GET", "/api/x", [("Host", "h")], remote_addr=remote)
        body = standin.bad_gateway(OSError("connect refused to 127.0.0.1:9"), req).text
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
