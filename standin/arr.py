"""ARR's forwarding (its header rules are standin/arr_headers.py, the request body's streaming
standin/request_body.py): the backend's response relayed up to responseBufferLimit at a time, and
502.3 when the backend fails.

ARR behaviour (headers added, 502.3, buffering): https://learn.microsoft.com/troubleshoot/developer/webapps/iis/application-request-routing/troubleshooting-502-errors-in-arr
and the reverse-proxy walkthrough https://learn.microsoft.com/iis/extensions/url-rewrite-module/reverse-proxy-with-url-rewrite-v2-and-application-request-routing
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging

import aiohttp
import yarl
from aiohttp import web

from . import filtering, websocket
from .answers import Answers
from .arr_headers import ArrHeaders
from .http_sys import MalformedBody, Response, StreamResponse, bad_request
from .options import Options
from .request import Request
from .request_body import BodyTooLarge, StreamedBody

log = logging.getLogger("standin")

CHUNK = 64 * 1024


class Arr:
    """Forwards a request the rules proxied. start() opens the backend connection pool."""

    def __init__(self, options: Options, answers: Answers):
        self.config, self.answers, self.timeouts = options.config, answers, options.timeouts
        self.session: aiohttp.ClientSession | None = None
        self.headers = ArrHeaders(options.config, options.ssl_description)

    async def start(self):
        timeout = self.config.proxy["timeout"]
        self.session = aiohttp.ClientSession(
            # DNS is looked up per connection so that a recreated backend container is found again.
            connector=aiohttp.TCPConnector(limit=0, use_dns_cache=False),
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=timeout, sock_read=timeout),
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            skip_auto_headers=("User-Agent", "Accept-Encoding", "Accept", "Content-Type"),
        )

    async def close(self):
        if self.session:
            await self.session.close()

    async def forward(self, http, req: Request, outcome):
        """Returns the response and its IIS substatus (3 for a failed backend)."""
        target = yarl.URL(outcome.url, encoded=True)
        headers = self.headers.request(req, target, outcome.header_changes)
        if websocket.is_upgrade(http):
            return await websocket.forward(self.session, http, target, headers, lambda exc: self.bad_gateway(exc, req))
        has_body = http.body_exists
        if has_body and http.headers.get("Expect", "").lower() == "100-continue" and http.version >= (1, 1):
            # HTTP.sys answers this itself; a refused request got its final status before here.
            await http.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = StreamedBody(http.content, self.config.request_limits["maxAllowedContentLength"],
                            self.timeouts.entity_body)
        try:
            # The backend hears of the request at once, and each piece of its body as it comes (B64).
            backend = await self.session.request(req.method, target, headers=headers,
                                                 data=body.pieces() if has_body else None, allow_redirects=False)
        except (BodyTooLarge, MalformedBody, aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            await body.stop()
            if body.ended_early:
                return self.body_failed(http, body)
            log.warning("502.3 forwarding to %s failed: %r", target, exc)
            return self.bad_gateway(exc, req), 3
        try:
            async with backend:
                return await self.relay(http, req, backend, target), 0
        finally:
            await body.stop()

    def body_failed(self, http, body: StreamedBody):
        """The client's body ended the forwarding, not the backend: the client's own answer (B64)."""
        if body.malformed:
            return bad_request(), 0  # B78
        if body.too_large:
            rej = filtering.body_too_large()
            return self.answers.error(rej.status, rej.substatus, rej.reason), rej.substatus
        # Stalled (EntityBody) or gone: HTTP.sys drops the connection; there is no response to send.
        if http.transport is not None:
            http.transport.abort()
        return Response(status=400), 0

    def bad_gateway(self, exc, req: Request) -> web.Response:
        if not ipaddress.ip_address(req.remote_addr or "0.0.0.0").is_loopback:
            # httpErrors errorMode="DetailedLocalOnly" (IIS's default): remote clients get the
            # custom page, without the backend's address or the error text (B69).
            return self.answers.error(502, 0, "Web server received an invalid response while acting as a gateway"
                                              " or proxy server.")
        if isinstance(exc, (asyncio.TimeoutError, aiohttp.ServerTimeoutError)):
            detail = "The operation timed out (0x80072ee2)"
        else:
            detail = f"A connection with the server could not be established (0x80072efd): {exc}"
        return self.answers.error(502, 3, f"Bad Gateway: Forwarder Connection Error (ARR). {detail}")

    async def relay(self, http, req, backend: aiohttp.ClientResponse, target: yarl.URL):
        if self.config.existing_response == "Replace" and backend.status >= 400:
            return self.answers.error(backend.status, 0, "The backend returned an error.")
        headers = self.headers.response(req, backend, target)
        if (backend.content.is_eof() and req.method != "HEAD" and backend.status not in (204, 304)
                and backend.content_length is not None):
            # The whole body came with the headers: send both in one write. Nothing is waited for,
            # so this changes no streaming behaviour; it saves syscalls on small responses.
            body = await backend.read()
            return Response(status=backend.status, reason=backend.reason, body=body, headers=headers)
        resp = StreamResponse(status=backend.status, reason=backend.reason, headers=headers)
        buffer_limit = self.config.proxy["responseBufferLimit"] * 1024
        pending = bytearray()

        async def start_sending():
            """The headers, then what was held back: once the buffer is full, or at the end."""
            await resp.prepare(http)
            if pending:
                await self.send(resp, bytes(pending))
                pending.clear()

        try:
            async for chunk in backend.content.iter_chunked(CHUNK):
                if not resp.prepared and len(pending) + len(chunk) <= buffer_limit:
                    pending += chunk  # ARR holds the response up to responseBufferLimit before sending
                    continue
                if not resp.prepared:
                    await start_sending()
                await self.send(resp, chunk)
        except (aiohttp.ClientError, asyncio.TimeoutError):
            if not resp.prepared:
                return self.bad_gateway(asyncio.TimeoutError(), req)
            http.transport.abort()  # headers already sent: the client sees the stream cut, as with ARR
            return resp
        try:
            if not resp.prepared:
                await start_sending()
            await resp.write_eof()
        except asyncio.TimeoutError:
            http.transport.abort()
        return resp

    async def send(self, resp, data: bytes):
        # HTTP.sys's MinSendRate: a client that reads a response slower than this is cut off (B70).
        await asyncio.wait_for(resp.write(data), max(1.0, len(data) / self.timeouts.min_send_rate))
