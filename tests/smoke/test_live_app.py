"""The FastAPI example (examples/live, an ASGI app) hosted behind the proxy by APP_MODULE alone: its
links carry the prefix, host and scheme; WebSockets go through IIS (or the stand-in) without
compression, both ways, up to 1 MiB, closed from either side; and a browser's page opens them.

scripts/test runs the smoke suite once with this app deployed; conftest selects this module then.
"""
from __future__ import annotations

import json
import ssl

import pytest
import requests
from websockets.exceptions import ConnectionClosed
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.sync.client import connect

from tests.smoke import browser
from tests.support import wait_until

APP_MODULE = "examples.live:app"


def ws_url(base: str, prefix: str, path: str) -> str:
    return base.replace("http", "ws", 1) + prefix + path


def offering_deflate(url, **kw):
    return connect(url, extensions=[ClientPerMessageDeflateFactory()], max_size=None, open_timeout=30, **kw)


def test_the_page_and_json_route_carry_the_prefix_host_and_scheme(base, prefix, tls, s):
    status = requests.get(f"{base}{prefix}/api/status", timeout=30).json()
    assert (status["url"], status["links_to"]) == (f"{base}{prefix}/api/status", f"{base}{prefix}/")
    https = f"https://localhost:{s['IIS_HTTPS_PORT']}"
    secure = requests.get(f"{https}{prefix}/api/status", timeout=30, verify=tls["ca"])
    assert secure.json()["links_to"] == f"{https}{prefix}/"
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_a_websocket_echoes_through_iis_without_compression(base, prefix):
    with offering_deflate(ws_url(base, prefix, "/ws/echo")) as ws:
        assert "Sec-WebSocket-Extensions" not in ws.response.headers
        ws.send("hello through IIS")
        assert ws.recv(timeout=30) == "hello through IIS"
        message = bytes(range(256)) * 4096  # 1 MiB
        ws.send(message)
        assert ws.recv(timeout=30) == message


def test_a_websocket_over_https_echoes(tls, s, prefix):
    context = ssl.create_default_context(cafile=tls["ca"])
    with offering_deflate(f"wss://localhost:{s['IIS_HTTPS_PORT']}{prefix}/ws/echo", ssl=context) as ws:
        ws.send("over wss")
        assert ws.recv(timeout=30) == "over wss"


def test_a_close_from_the_client_and_from_the_app_reach_the_other_side(base, prefix):
    with offering_deflate(ws_url(base, prefix, "/ws/echo")) as ws:
        ws.close(4001, "client is done")
    assert ws.close_code == 4001  # the app's answer to the client's close, back through the proxy
    with offering_deflate(ws_url(base, prefix, "/ws/echo")) as ws:
        ws.send("bye")
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=30)
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1000, "bye")


def test_the_handshake_carries_the_rule_s_headers_and_the_request_id(base, prefix, stack):
    """The upgrade request took the rule like any request: the app logged it with ARR's request ID,
    under the client's Host (X-Original-Host)."""
    with offering_deflate(ws_url(base, prefix, "/ws/echo")) as ws:
        ws.send("logged")
        ws.recv(timeout=30)

    def access_line():
        for line in reversed(stack.container("app").logs().decode(errors="replace").splitlines()):
            if line.startswith("{") and '"status": 101' in line:
                return json.loads(line)
        return None

    line = wait_until(access_line, 30, "the app's access line for the WebSocket")
    assert line["path"] == f"{prefix}/ws/echo" and line["host"] == base.split("//", 1)[1]
    # ARR's GUID: the same ID as in IIS's log, not one the app made up (that would not be a GUID
    # of version 4 from IIS); the stand-in and IIS both send X-ARR-LOG-ID.
    assert len(line["request_id"]) == 36


@pytest.fixture(scope="module")
def page():
    with browser.page() as p:
        yield p


def test_a_browser_page_opens_websockets_through_the_proxy(page, base, prefix):
    page.goto(f"{base}{prefix}/")
    page.get_by_label("Message").fill("typed in Chromium")
    page.get_by_role("button", name="Send").click()
    page.locator("#echoes li", has_text="typed in Chromium").wait_for(timeout=30000)
    # The live feed counts up as the app pushes.
    page.wait_for_function("Number(document.getElementById('count').value) >= 3", timeout=30000)
    page.get_by_role("link", name="Status (JSON)").click()
    page.wait_for_url(f"{base}{prefix}/api/status")
