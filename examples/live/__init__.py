"""Live: a small, ordinary FastAPI app that knows nothing about IIS or its prefix.

A page whose script opens a WebSocket back to the app, a JSON route, a WebSocket that echoes what it
is sent (and closes on "bye") and one that pushes a live count, and the signed-in Windows user read as ASGI frameworks
read a header. Hosted with APP_MODULE=examples.live:app (APP_SOURCE_DIR=examples); the smoke suite
drives it through the proxy, in Chromium too (tests/smoke/test_live_app.py).
"""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse, PlainTextResponse

app = FastAPI(title="Live", docs_url=None, redoc_url=None, openapi_url=None)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Live</title></head>
<body>
<h1>Live</h1>
<p>Signed in as <span id="user">{user}</span>. <a href="{status}">Status (JSON)</a></p>
<form id="send"><label>Message <input id="message" name="message"></label> <button>Send</button></form>
<ul id="echoes"></ul>
<p>Live count: <output id="count">-</output></p>
<script>
  // Relative to this page, so the prefix IIS forwards is kept; ws: or wss: as the page came.
  const url = path => {{
    const u = new URL(path, location.href);
    u.protocol = u.protocol.replace("http", "ws");
    return u;
  }};
  const echo = new WebSocket(url("ws/echo"));
  echo.onmessage = e => {{ const li = document.createElement("li"); li.textContent = e.data; echoes.append(li); }};
  document.getElementById("send").onsubmit = e => {{
    e.preventDefault(); echo.send(message.value); message.value = "";
  }};
  const feed = new WebSocket(url("ws/count"));
  feed.onmessage = e => {{ count.value = e.data; }};
</script>
</body></html>
"""


def signed_in(request_or_socket) -> str:
    # IIS's sign-on passes the user as X-Remote-User; the hosting layer keeps it from IIS only.
    return request_or_socket.headers.get("x-remote-user") or "nobody (anonymous)"


@app.get("/", response_class=HTMLResponse)
async def page(request: Request):
    return PAGE.format(user=signed_in(request), status=request.url_for("status"))


@app.get("/hello", response_class=PlainTextResponse)
async def hello():
    return "Hello World!!!"


@app.get("/api/status")
async def status(request: Request):
    return {"app": "live", "user": signed_in(request), "time": datetime.now(timezone.utc).isoformat(),
            "url": str(request.url), "links_to": str(request.url_for("page"))}


@app.websocket("/ws/echo")
async def echo(ws: WebSocket):
    await ws.accept()
    try:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("text") == "bye":
                return await ws.close(code=1000, reason="bye")  # the app ends the conversation
            if message.get("text") is not None:
                await ws.send_text(message["text"])
            else:
                await ws.send_bytes(message["bytes"])
    except WebSocketDisconnect:
        return


@app.websocket("/ws/count")
async def count(ws: WebSocket):
    await ws.accept()
    n = 0
    try:
        while True:
            n += 1
            await ws.send_text(str(n))
            await asyncio.sleep(0.5)
    except WebSocketDisconnect:
        return
