"""ARR's WebSocket proxying (B82): an upgrade request the rules forwarded is forwarded as a handshake;
on the backend's 101 the client gets its 101, and then messages flow both ways until either side
closes, which closes the other with the same code.

As ARR 3.0 does it through WinHTTP's and websocket.dll's WebSocket support, which carry no extension
(dotnet/aspnetcore#58846: "Both the WinHttp and websocket.dll layers ... do not support the
compression framing"): the stand-in offers the backend what the rules left of the client's
Sec-WebSocket-Extensions, never negotiates one with the client, and a backend that agreed to one
and sends compressed frames loses the connection, the client's too, after its 101: the failure
behind IIS seen in open-webui/open-webui#24579 and axllent/mailpit#131. A message is taken up to
IIS's WebSocket receive buffer (receiveBufferLimit, 4 MiB) [INFERRED: documented for IIS's own
WebSocket module; no source says whether ARR's tunnel applies it]. No idle limit is modelled
[INFERRED: none documented for ARR's WebSockets]."""
from __future__ import annotations

import asyncio
import logging

import aiohttp
from aiohttp import WSMsgType, web

from .arr_headers import HOP_BY_HOP, connection_tokens
from .http_sys import Response, WebSocketResponse

log = logging.getLogger("standin")

# system.webServer/webSocket receiveBufferLimit's default (Microsoft, "WebSocket <webSocket>").
RECEIVE_BUFFER_LIMIT = 4194304
# Headers of the handshake itself, made anew on each hop.
HANDSHAKE = {"sec-websocket-key", "sec-websocket-version", "sec-websocket-accept", "sec-websocket-protocol"}
# What a close without a code is passed on as (RFC 6455 7.4.1: 1005 is never sent in a frame).
NO_STATUS = 1000
# Seconds a side has to answer a close before its connection is dropped.
CLOSE_WAIT = 5.0


def is_upgrade(http: web.BaseRequest) -> bool:
    """A WebSocket handshake: a GET asking to upgrade to websocket (RFC 6455 4.1)."""
    return (http.method == "GET" and "upgrade" in connection_tokens(http.headers.getall("Connection", []))
            and http.headers.get("Upgrade", "").lower() == "websocket")


async def forward(session: aiohttp.ClientSession, http: web.BaseRequest, target, headers, bad_gateway):
    """Returns (response, substatus). headers: what ARR forwards of the request (the rules' changes
    applied); bad_gateway(exc) is ARR's 502.3 for a backend it cannot reach."""
    protocols = [p.strip() for p in http.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()]
    forwarded = [(k, v) for k, v in headers if k.lower() not in HANDSHAKE]
    try:
        backend = await session.ws_connect(
            target, headers=forwarded, protocols=protocols, compress=0, autoping=False, autoclose=False,
            max_msg_size=RECEIVE_BUFFER_LIMIT, heartbeat=None)
    except aiohttp.WSServerHandshakeError as exc:
        # The backend answered the upgrade with something else: passed on as its status (its body is
        # not read) [INFERRED: no source says what ARR sends; WinHTTP returns it as a response].
        return Response(status=exc.status, text=f"{exc.status} {exc.message}\n"), 0
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
        return bad_gateway(exc), 3
    client = WebSocketResponse(
        protocols=(backend.protocol,) if backend.protocol else (), compress=False, autoping=False,
        autoclose=False, max_msg_size=RECEIVE_BUFFER_LIMIT, heartbeat=None)
    # The backend's own handshake headers go on to the client (its X-Request-ID among them).
    for name, value in backend._response.headers.items():  # noqa: SLF001 - aiohttp keeps the 101 there only
        if name.lower() not in HOP_BY_HOP | HANDSHAKE | {"sec-websocket-extensions", "date", "server"}:
            client.headers.add(name, value)
    try:
        await client.prepare(http)
    except Exception:
        await backend.close()
        raise
    await relay(http, client, backend)
    return client, 0


async def relay(http, client: web.WebSocketResponse, backend: aiohttp.ClientWebSocketResponse) -> None:
    """Messages both ways; the first side to close ends both: the other side gets its close code,
    and the closing side the other's answer. A failure on either side drops both."""
    pumps = {asyncio.ensure_future(pump(client, backend)): (client, backend),
             asyncio.ensure_future(pump(backend, client)): (backend, client)}
    done, pending = await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
    first = next(iter(done))
    if first.exception() is None:
        # The other direction is left to see the close itself: aiohttp's close() waits for the
        # reading task to take the answering close frame (cancelling that read would end the
        # connection as abnormal, 1006).
        code, reason = first.result()
        source, target = pumps[first]
        await target.close(code=code, message=reason.encode())
        done, pending = await asyncio.wait(pending, timeout=CLOSE_WAIT)
        await source.close(code=code)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    failed = [t for t in done if not t.cancelled() and t.exception() is not None]
    if failed:
        # A protocol error on either side (a compressed frame from a backend that negotiated an
        # extension, above all): the connection is dropped, the other side's too, without a close.
        log.warning("websocket relay failed: %r", failed[0].exception())
        if http.transport is not None:
            http.transport.abort()
        try:
            await asyncio.wait_for(backend.close(), CLOSE_WAIT)
        except (asyncio.TimeoutError, aiohttp.ClientError, OSError):
            pass


async def pump(source, target) -> tuple[int, str]:
    """One direction, each message as it comes, until the source closes: returns its close code and reason."""
    while True:
        message = await source.receive()
        kind = message.type
        if kind == WSMsgType.TEXT:
            await target.send_str(message.data)
        elif kind == WSMsgType.BINARY:
            await target.send_bytes(message.data)
        elif kind == WSMsgType.PING:
            await target.ping(message.data)
        elif kind == WSMsgType.PONG:
            await target.pong(message.data)
        elif kind == WSMsgType.CLOSE:
            return (message.data if message.data and message.data != 1005 else NO_STATUS), message.extra or ""
        elif kind in (WSMsgType.CLOSING, WSMsgType.CLOSED):
            return source.close_code or NO_STATUS, ""
        elif kind == WSMsgType.ERROR:
            raise message.data if isinstance(message.data, BaseException) else ConnectionError(message.data)
