"""B82: WebSockets through the stand-in as through IIS + ARR, with the project's own web.config and
server.config, in front of a backend that negotiates permessage-deflate whenever it is offered
(tests/standin/ws_backend.py): the rule's removal of Sec-WebSocket-Extensions is what keeps it
uncompressed (docs/windows.md W45)."""
import json
import sys

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.sync.client import connect

from tests.paths import SERVER_CONFIG, WEB_CONFIG
from tests.standin.process import start_backend
from tests.support import http_ok, start_on_free_ports, stop, wait_until

RULE_LINE = '<set name="HTTP_SEC_WEBSOCKET_EXTENSIONS" value="" />'


@pytest.fixture(scope="module")
def ws_backend(tmp_path_factory, base_env):
    proc, port = start_backend("tests.standin.ws_backend", tmp_path_factory, base_env)
    yield port
    stop(proc)


def project_standin(tmp_path, base_env, project_env, backend_port, web_config_text, settings=None, extra=()):
    web = tmp_path / "web.config"
    web.write_text(web_config_text)
    env = {**base_env, **project_env, "APP_HOST": "127.0.0.1", "APP_PORT": str(backend_port), **(settings or {})}
    proc, [port] = start_on_free_ports(
        lambda port: ([sys.executable, "-m", "standin", "serve", "--web-config", str(web), "--settings",
                       str(SERVER_CONFIG), "--expand-env", "--listen", f"127.0.0.1:{port}", *extra], env,
                      f"http://127.0.0.1:{port}/{project_env['APP_PREFIX']}/health"), tmp_path / "standin.log")
    return proc, f"ws://127.0.0.1:{port}/{project_env['APP_PREFIX']}"


@pytest.fixture
def through_iis(tmp_path, base_env, project_env, ws_backend):
    started = []

    def start(web_config_text=None, extra=(), **settings):
        started.append(project_standin(tmp_path, base_env, project_env, ws_backend,
                                       web_config_text or WEB_CONFIG.read_text(), settings, extra))
        return started[-1][1]

    yield start
    for proc, _ in started:
        stop(proc)


def offering_deflate(url, **kw):
    return connect(url, extensions=[ClientPerMessageDeflateFactory()], max_size=None, open_timeout=10, **kw)


def test_B82_the_project_rule_keeps_a_compressing_backend_uncompressed(through_iis):
    with offering_deflate(through_iis() + "/ws") as ws:
        assert "Sec-WebSocket-Extensions" not in ws.response.headers
        ws.send("headers")
        backend_saw = {k.lower(): v for k, v in json.loads(ws.recv()).items()}
        assert "sec-websocket-extensions" not in backend_saw
        assert backend_saw["x-original-host"] and backend_saw["x-arr-log-id"], backend_saw
        ws.send("hello")
        assert ws.recv() == "hello"
        message = bytes(range(256)) * 4096  # 1 MiB, both ways
        ws.send(message)
        assert ws.recv() == message


def test_B82_without_the_rule_a_compressing_backend_loses_the_connection(through_iis):
    """What users behind IIS report (docs/windows.md W45): 101, then the connection ends."""
    assert RULE_LINE in WEB_CONFIG.read_text()
    url = through_iis(WEB_CONFIG.read_text().replace(RULE_LINE, ""))
    with offering_deflate(url + "/ws") as ws:
        ws.send("hello")
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd is None  # no close frame: the connection was dropped


@pytest.mark.parametrize("side", ["client", "backend"])
def test_B82_a_close_from_either_side_closes_the_other_with_its_code(through_iis, side):
    with offering_deflate(through_iis() + "/ws") as ws:
        if side == "client":
            ws.send("headers")
            ws.recv()
            ws.close(4001, "client closes")
            assert ws.close_code == 4001  # the backend's answer, passed back
        else:
            ws.send("close:4002")
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=10)
            assert closed.value.rcvd.code == 4002


def test_B82_a_backend_that_refuses_the_upgrade_is_passed_on(through_iis):
    with pytest.raises(InvalidStatus) as refused:
        offering_deflate(through_iis() + "/refuse")
    assert refused.value.response.status_code == 403


def test_B82_a_message_over_iis_s_receive_buffer_is_refused_with_1009(through_iis):
    with pytest.raises(ConnectionClosed) as closed:
        with offering_deflate(through_iis() + "/ws") as ws:
            ws.send(b"\x00" * (4194304 + 1))
            ws.recv(timeout=10)
    # Refused, never echoed: 1009, or a reset that took the close frame with it (the client was still sending).
    assert closed.value.rcvd is None or closed.value.rcvd.code == 1009


def test_B82_an_open_websocket_counts_as_a_request_in_flight_for_the_client_s_address(through_iis):
    """Dynamic IP Restrictions (B80) count a WebSocket for as long as it is open (INFERRED, W46): with
    IIS_CLIENT_MAX_CONCURRENT open, the same address gets 403.501 for anything more, until one closes."""
    import urllib.error
    import urllib.request

    url = through_iis(IIS_CLIENT_MAX_CONCURRENT="2")
    page = url.replace("ws://", "http://", 1) + "/ready"
    with offering_deflate(url + "/ws"), offering_deflate(url + "/ws"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(page, timeout=10)
        assert refused.value.code == 403 and b"403.501" in refused.value.read()
    wait_until(lambda: http_ok(page), 10, "the address to be let in again once the WebSockets closed")


def test_B82_with_sign_on_the_handshake_is_challenged_and_the_signed_in_user_reaches_the_app(through_iis, tmp_path):
    """The handshake is authenticated like any request (W46), in the stand-in's model of sign-on
    (B76: Basic against a users file stands for Negotiate/NTLM); the app gets the user, never the
    credentials. Whether Windows' own sign-on survives the upgrade through ARR is the Windows run's."""
    import base64

    users = tmp_path / "users"
    users.write_text("CORP\\alice:wonderland\n")
    url = through_iis(extra=["--users-file", str(users)], IIS_ALLOW_ANONYMOUS="false")
    with pytest.raises(InvalidStatus) as challenged:
        offering_deflate(url + "/ws")
    assert challenged.value.response.status_code == 401
    credentials = "Basic " + base64.b64encode(b"CORP\\alice:wonderland").decode()
    with offering_deflate(url + "/ws", additional_headers={"Authorization": credentials,
                                                           "X-Remote-User": "mallory"}) as ws:
        ws.send("headers")
        backend_saw = {k.lower(): v for k, v in json.loads(ws.recv()).items()}
    assert backend_saw["x-remote-user"] == "CORP\\alice" and "authorization" not in backend_saw
