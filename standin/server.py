"""The HTTP front end: request gates, rule evaluation, and ARR-style forwarding.

ARR behaviour (headers added, 502.3, buffering): https://learn.microsoft.com/troubleshoot/developer/webapps/iis/application-request-routing/troubleshooting-502-errors-in-arr
and the reverse-proxy walkthrough https://learn.microsoft.com/iis/extensions/url-rewrite-module/reverse-proxy-with-url-rewrite-v2-and-application-request-routing
Bodies stream in both directions; nothing is held beyond responseBufferLimit.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
import re
import ssl
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import yarl
from aiohttp import hdrs, web, web_protocol
from multidict import CIMultiDict

from . import filtering
from .config import Config
from .engine import evaluate
from .errors import error_page
from .request import Request

log = logging.getLogger("standin")

# The standard W3C fields of the request log line, in its order (IIS's names).
W3C_FIELDS = ("date", "time", "cs-method", "cs-uri-stem", "cs-uri-query", "s-port", "c-ip", "sc-status",
              "sc-substatus", "time-taken")

IIS_SERVER_HEADER = "Microsoft-IIS/10.0"
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
              "proxy-authenticate", "proxy-authorization"}
DEFAULT_DOCUMENTS = ("Default.htm", "Default.asp", "index.htm", "index.html", "iisstart.htm")
CHUNK = 64 * 1024
# A request body up to this size is read whole before the backend request starts (B64); a slow
# client then holds only the stand-in's connection, never an app-server thread. Past it, the body
# streams, so memory stays bounded by this per connection.
REQUEST_BUFFER = 1024 * 1024
LISTEN_BACKLOG = 1024
ABSOLUTE_FORM = re.compile(r"(?i:https?)://(?P<authority>[^/?#]*)(?P<rest>[/?].*)?", re.DOTALL)


class _IisHeaders:
    """aiohttp fills in "Server: Python/… aiohttp/…" and a default Content-Type; IIS and ARR send
    neither of their own, so any such default is taken out again (tested in B52)."""

    async def _prepare_headers(self) -> None:
        had_server, had_type = hdrs.SERVER in self._headers, hdrs.CONTENT_TYPE in self._headers
        await super()._prepare_headers()
        if not had_server:
            self._headers.pop(hdrs.SERVER, None)
        if not had_type:
            self._headers.pop(hdrs.CONTENT_TYPE, None)


class Response(_IisHeaders, web.Response):
    pass


class StreamResponse(_IisHeaders, web.StreamResponse):
    pass


class FileResponse(_IisHeaders, web.FileResponse):
    pass


class BodyTooLarge(Exception):
    pass


@dataclass(frozen=True)
class Timeouts:
    """HTTP.sys's connection timers, in seconds (B70). Defaults: HTTP.sys's own, 120 s each
    (HTTP Server API timeouts; IIS changes them with system.applicationHost/webLimits, which the
    stand-in does not read: its CLI sets them)."""
    header_wait: float = 120.0  # a connection's request headers must be complete by then
    idle_connection: float = 120.0  # a kept-alive connection with no request is closed
    entity_body: float = 120.0  # longest wait for the next piece of a request body
    min_send_rate: float = 150.0  # bytes/s: a client reading a response slower than this is cut off


class _HttpSysErrors(web_protocol.RequestHandler):
    """What aiohttp answers itself (a request its parser refuses, or a handler that crashed) comes
    as HTTP.sys or IIS word it: a short page, no Server header, no parser or Python detail, and the
    connection closed (B68)."""

    _header_wait = None

    def connection_made(self, transport):
        super().connection_made(transport)
        # HTTP.sys's HeaderWait: a client that never finishes its headers is cut off (B70).
        self._header_wait = self._loop.call_later(self._manager.timeouts.header_wait, self._headers_too_slow)

    def data_received(self, data):
        super().data_received(data)
        if self._header_wait is not None and self._messages:
            self._header_wait.cancel()
            self._header_wait = None

    def connection_lost(self, exc):
        if self._header_wait is not None:
            self._header_wait.cancel()
        super().connection_lost(exc)

    def _headers_too_slow(self):
        self._header_wait = None
        if self.transport is not None:
            self.transport.abort()

    def handle_error(self, request, status=500, exc=None, message=None):
        super().handle_error(request, status, exc, message)  # logs it; raises if a response was begun
        if status == 400:
            resp = Response(status=400, content_type="text/html", charset="us-ascii", text=HTTP_SYS_400)
        else:
            phrase, body = error_page(status, 0, "The page cannot be displayed because an internal server error"
                                                 " has occurred.")
            resp = Response(status=status, reason=phrase, content_type="text/html", text=body)
        resp.force_close()
        return resp


class _Server(web.Server):
    timeouts = Timeouts()

    def __call__(self):
        return _HttpSysErrors(self, loop=self._loop, **self._kwargs)


# HTTP.sys's own page for a malformed request (the body of its 400s; B68).
HTTP_SYS_400 = ('<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN""http://www.w3.org/TR/html4/strict.dtd">\r\n'
                "<HTML><HEAD><TITLE>Bad Request</TITLE>\r\n"
                '<META HTTP-EQUIV="Content-Type" Content="text/html; charset=us-ascii"></HEAD>\r\n'
                "<BODY><h2>Bad Request</h2>\r\n<hr><p>HTTP Error 400. The request is badly formed.</p>\r\n"
                "</BODY></HTML>\r\n")


def connection_tokens(values) -> set[str]:
    """Header names listed in Connection headers: hop-by-hop for this message only."""
    return {token.strip().lower() for value in values for token in value.split(",")}


class _LimitedBody:
    """The client's body, enforcing maxAllowedContentLength on chunked uploads too. Up to
    REQUEST_BUFFER is read before the backend is contacted (prefetch): a small body that arrives
    slowly then costs the backend nothing until it is whole; a larger one streams on from there.
    aiohttp wraps errors raised while sending, so the verdict is kept here to be read afterwards."""

    def __init__(self, content, limit: int, wait: float):
        self.content, self.limit, self.wait, self.too_large = content, limit, wait, False
        self.head, self.seen, self.stalled = bytearray(), 0, False

    async def next_chunk(self) -> bytes:
        # HTTP.sys's EntityBody timer: each piece of the body must come within `wait` (B70).
        try:
            return await asyncio.wait_for(self.content.readany(), self.wait)
        except asyncio.TimeoutError:
            self.stalled = True
            raise

    def count(self, chunk: bytes) -> bytes:
        self.seen += len(chunk)
        if self.seen > self.limit:
            self.too_large = True
            raise BodyTooLarge()
        return chunk

    async def prefetch(self, size: int) -> bool:
        """Reads until the body ends or passes size bytes; True when it ended (the whole body is head)."""
        while len(self.head) <= size:
            chunk = await self.next_chunk()
            if not chunk:
                return True
            self.head += self.count(chunk)
        return False

    async def chunks(self):
        if self.head:
            yield bytes(self.head)
            self.head = bytearray()
        while chunk := await self.next_chunk():
            yield self.count(chunk)


class StandIn:
    def __init__(self, config: Config, site_root: Path, timeouts: Timeouts = Timeouts()):
        self.config, self.timeouts = config, timeouts
        self.site_root = site_root.resolve()
        self.session: aiohttp.ClientSession | None = None
        proxy = config.proxy
        # Client headers ARR drops or replaces with its own (B50); fixed per configuration.
        self.not_forwarded = HOP_BY_HOP | {
            proxy["sslHeaderName"].lower(), proxy["clientCertHeaderName"].lower(), proxy["logGuidName"].lower(),
            "max-forwards", "host", "x-original-url", "expect"} - {""}
        self.xff_lower = proxy["xForwardedForHeaderName"].lower() or None
        self.max_forwards = str(proxy["maxForwards"])

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

    # --- entry point ------------------------------------------------------------------------

    async def handle(self, http: web.BaseRequest) -> web.StreamResponse:
        started = time.monotonic()
        peer = http.transport.get_extra_info("peername") if http.transport else None
        sock = http.transport.get_extra_info("sockname") if http.transport else None
        target, headers = http.raw_path, [(k.decode("latin-1"), v.decode("latin-1")) for k, v in http.raw_headers]
        absolute = ABSOLUTE_FORM.fullmatch(target)
        if absolute:
            # RFC 9112 3.2.2: the target's authority is the host; a Host header is ignored (B67).
            target = absolute["rest"] or "/"
            headers = [(k, v) for k, v in headers if k.lower() != "host"] + [("Host", absolute["authority"])]
        req = Request(
            method=http.method,
            raw_target=target,
            headers=headers,
            scheme="https" if http.secure else "http",
            remote_addr=peer[0] if peer else "",
            remote_port=peer[1] if peer else 0,
            server_port=sock[1] if sock else 0,
            local_addr=sock[0] if sock else "",
            http_version=f"HTTP/{http.version.major}.{http.version.minor}",
            site_root=self.site_root,
        )
        response, substatus = await self.respond(http, req)
        log.info("%s %s %s %s %s %s %s %s %d%s", time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
                 req.method, req.raw_path, req.raw_query or "-", req.server_port, req.remote_addr,
                 response.status if response is not None else 0, substatus,
                 int((time.monotonic() - started) * 1000), self.custom_fields(req, response))
        return response

    def fields_directive(self) -> str:
        """The W3C log's #Fields directive, as IIS writes it at the top of a log file: the standard
        fields of each request line below, then the custom fields by logFieldName (B74)."""
        return "#Fields: " + " ".join([*W3C_FIELDS, *(name for name, _, _ in self.config.log_fields)])

    def custom_fields(self, req: Request, response) -> str:
        """W3C custom fields after the standard ones (B74): "-" when empty, spaces as "+"."""
        values = []
        for _, source, kind in self.config.log_fields:
            if kind == "ServerVariable":
                value = req.variable(source.upper())
            elif kind == "ResponseHeader":
                value = response.headers.get(source, "") if response is not None else ""
            elif source.lower() == self.config.proxy["logGuidName"].lower():
                value = req.arr_log_id  # [INFERRED] IIS logs the header ARR set on the request
            else:
                value = req.header(source) or ""
            values.append(value.replace(" ", "+") or "-")
        return "".join(f" {v}" for v in values)

    async def respond(self, http, req):
        rejection = filtering.http_sys(req) or filtering.request_filtering(req, self.config, http.content_length)
        if rejection:
            return self.error(rejection.status, rejection.substatus, rejection.reason), rejection.substatus
        outcome = evaluate(self.config, req)
        if outcome.kind == "abort":
            http.transport.abort()  # AbortRequest drops the connection without a response
            return Response(status=400), 0
        if outcome.kind in ("error", "custom"):
            return self.error(outcome.status, outcome.substatus, outcome.description, outcome.reason), outcome.substatus
        if outcome.kind == "redirect":
            resp = self.base_response(outcome.status)
            resp.headers["Location"] = outcome.url
            resp.text = f'<head><title>Document Moved</title></head><body><h1>Object Moved</h1>This document may be found <a HREF="{outcome.url}">here</a></body>'
            return resp, 0
        if outcome.kind == "proxy":
            return await self.forward(http, req, outcome)
        return self.serve_site(http, outcome.url.partition("?")[0]), 0

    # --- responses produced by "IIS" itself -------------------------------------------------

    def server_headers(self, headers):
        if not self.config.request_filtering["removeServerHeader"]:
            headers["Server"] = IIS_SERVER_HEADER
        for name, value in self.config.custom_headers.items():
            headers[name] = value

    def base_response(self, status: int, reason: str | None = None) -> web.Response:
        resp = Response(status=status, reason=reason)
        self.server_headers(resp.headers)
        return resp

    def error(self, status: int, substatus: int, description: str, reason: str = "") -> web.Response:
        phrase, body = error_page(status, substatus, description, reason)
        resp = self.base_response(status, phrase)
        resp.content_type = "text/html"
        resp.text = body
        return resp

    def serve_site(self, http, url_path: str) -> web.StreamResponse:
        target = (self.site_root / url_path.lstrip("/")).resolve()
        if self.site_root not in (target, *target.parents):
            return self.error(404, 0, "The resource you are looking for has been removed or is unavailable.")
        if target.is_dir():
            if not url_path.endswith("/"):
                resp = self.base_response(301)
                resp.headers["Location"] = url_path + "/"
                return resp
            target = next((target / d for d in DEFAULT_DOCUMENTS if (target / d).is_file()), target)
        if not target.is_file():
            return self.error(404, 0, "The resource you are looking for has been removed, had its name changed,"
                                      " or is temporarily unavailable.")
        # The static file handler serves only extensions in the MIME map (B75).
        mime_type = self.config.mime_types.get(target.suffix.lower())
        if mime_type is None:
            return self.error(404, 3, "The page you are requesting cannot be served because of the extension"
                                      " configuration. If the page is a script, add a handler. If the file should"
                                      " be downloaded, add a MIME map.")
        if http.method not in ("GET", "HEAD"):
            return self.error(405, 0, "The page you are looking for cannot be displayed because an invalid method"
                                      " (HTTP verb) is being used.")
        resp = FileResponse(target, headers={"Content-Type": mime_type})
        self.server_headers(resp.headers)
        cache = self.config.client_cache
        if cache.mode == "DisableCache":
            resp.headers["Cache-Control"] = "no-cache"
        elif cache.mode == "UseMaxAge":
            resp.headers["Cache-Control"] = f"max-age={cache.max_age}"
        elif cache.mode == "UseExpires" and cache.expires:
            resp.headers["Expires"] = cache.expires
        return resp

    # --- ARR ----------------------------------------------------------------------------------

    def forward_headers(self, req: Request, target: yarl.URL, header_changes) -> list[tuple[str, str]]:
        proxy = self.config.proxy
        # header_changes' names are lower case
        skip = self.not_forwarded | header_changes.keys() | connection_tokens(
            v for k, v in req.headers if k.lower() == "connection")
        out, client_xff = [], []
        for k, v in req.headers:
            low = k.lower()
            if low == self.xff_lower:
                client_xff.append(v)
            elif low not in skip:
                out.append((k, v))
        out += [(k, v) for k, v in header_changes.items() if v is not None]
        out.append(("Host", req.host if proxy["preserveHostHeader"] else target.raw_authority))
        out.append(("Max-Forwards", self.max_forwards))
        if self.xff_lower:
            client = req.remote_addr
            if proxy["includePortInXForwardedFor"]:
                client = f"[{client}]:{req.remote_port}" if ":" in client else f"{client}:{req.remote_port}"
            out.append((proxy["xForwardedForHeaderName"], ", ".join(client_xff + [client])))
        if req.scheme == "https" and proxy["sslHeaderName"]:
            out.append((proxy["sslHeaderName"], self.ssl_description))
        # A correlation id, not a secret: no need for os.urandom's syscall on every request.
        req.arr_log_id = str(uuid.UUID(int=random.getrandbits(128), version=4))
        out.append((proxy["logGuidName"], req.arr_log_id))
        if "x-original-url" not in header_changes:
            out.append(("X-Original-URL", req.path + req.query_suffix))
        return out

    ssl_description = ""

    async def forward(self, http, req: Request, outcome):
        target = yarl.URL(outcome.url, encoded=True)
        headers = self.forward_headers(req, target, outcome.header_changes)
        has_body = http.body_exists
        if has_body and http.headers.get("Expect", "").lower() == "100-continue" and http.version >= (1, 1):
            # HTTP.sys answers this itself; a refused request got its final status before here.
            await http.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = _LimitedBody(http.content, self.config.request_limits["maxAllowedContentLength"],
                            self.timeouts.entity_body)
        data, chunked = None, None
        try:
            if has_body:
                if await body.prefetch(REQUEST_BUFFER):
                    data = bytes(body.head)  # whole: sent with its Content-Length
                else:
                    data, chunked = body.chunks(), None if http.content_length is not None else True
            backend = await self.session.request(req.method, target, headers=headers, data=data,
                                                 allow_redirects=False, chunked=chunked)
        except (BodyTooLarge, aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            if body.stalled:
                http.transport.abort()  # HTTP.sys drops the connection; there is no response
                return Response(status=400), 0
            if body.too_large:
                rej = filtering.body_too_large()
                return self.error(rej.status, rej.substatus, rej.reason), rej.substatus
            log.warning("502.3 forwarding to %s failed: %r", target, exc)
            return self.bad_gateway(exc, req), 3
        async with backend:
            return await self.relay(http, req, backend, target), 0

    def bad_gateway(self, exc, req: Request) -> web.Response:
        if not ipaddress.ip_address(req.remote_addr or "0.0.0.0").is_loopback:
            # httpErrors errorMode="DetailedLocalOnly" (IIS's default): remote clients get the
            # custom page, without the backend's address or the error text (B69).
            return self.error(502, 0, "Web server received an invalid response while acting as a gateway or proxy"
                                      " server.")
        if isinstance(exc, (asyncio.TimeoutError, aiohttp.ServerTimeoutError)):
            detail = "The operation timed out (0x80072ee2)"
        else:
            detail = f"A connection with the server could not be established (0x80072efd): {exc}"
        return self.error(502, 3, f"Bad Gateway: Forwarder Connection Error (ARR). {detail}")

    async def relay(self, http, req, backend: aiohttp.ClientResponse, target: yarl.URL):
        proxy = self.config.proxy
        if self.config.existing_response == "Replace" and backend.status >= 400:
            return self.error(backend.status, 0, "The backend returned an error.")
        headers = CIMultiDict()
        listed = connection_tokens(backend.headers.getall("Connection", []))
        backend_origin = f"{target.scheme}://{target.raw_authority}"
        for k, v in backend.raw_headers:
            name, value = k.decode("latin-1"), v.decode("latin-1")
            low = name.lower()
            if low in HOP_BY_HOP or low in listed or low == "server":
                continue
            if low == "location" and proxy["reverseRewriteHostInResponseHeaders"]:
                rest = value[len(backend_origin):]
                if value.lower().startswith(backend_origin.lower()) and rest[:1] in ("", "/", "?", "#"):
                    value = f"{req.scheme}://{req.host}{rest}"
            headers.add(name, value)
        server = backend.headers.get("Server")
        if proxy["passServerHeader"] == "PassThrough" and server:
            headers["Server"] = server
        elif proxy["passServerHeader"] == "Replace" and not self.config.request_filtering["removeServerHeader"]:
            headers["Server"] = IIS_SERVER_HEADER
        for name, value in self.config.custom_headers.items():
            headers.add(name, value)
        if proxy["arrResponseHeader"]:
            headers.add("X-Powered-By", "ARR/3.0")
        if (backend.content.is_eof() and req.method != "HEAD" and backend.status not in (204, 304)
                and backend.content_length is not None):
            # The whole body came with the headers: send both in one write. Nothing is waited for,
            # so this changes no streaming behaviour; it saves syscalls on small responses.
            body = await backend.read()
            return Response(status=backend.status, reason=backend.reason, body=body, headers=headers)
        resp = StreamResponse(status=backend.status, reason=backend.reason, headers=headers)
        buffer_limit = proxy["responseBufferLimit"] * 1024
        pending, prepared = bytearray(), False
        try:
            async for chunk in backend.content.iter_chunked(CHUNK):
                if not prepared and len(pending) + len(chunk) <= buffer_limit:
                    pending += chunk  # ARR holds the response up to responseBufferLimit before sending
                    continue
                if not prepared:
                    await resp.prepare(http)
                    prepared = True
                    if pending:
                        await self.send(resp, bytes(pending))
                        pending.clear()
                await self.send(resp, chunk)
        except (aiohttp.ClientError, asyncio.TimeoutError):
            if not prepared:
                return self.bad_gateway(asyncio.TimeoutError(), req)
            http.transport.abort()  # headers already sent: the client sees the stream cut, as with ARR
            return resp
        try:
            if not prepared:
                await resp.prepare(http)
                if pending:
                    await self.send(resp, bytes(pending))
            await resp.write_eof()
        except asyncio.TimeoutError:
            http.transport.abort()
        return resp

    async def send(self, resp, data: bytes):
        # HTTP.sys's MinSendRate: a client that reads a response slower than this is cut off (B70).
        await asyncio.wait_for(resp.write(data), max(1.0, len(data) / self.timeouts.min_send_rate))


def parse_listen(value: str) -> tuple[str, int]:
    m = re.fullmatch(r"\[?([^\]]*)\]?:(\d+)", value)
    if not m:
        raise ValueError(f"listen address '{value}' is not HOST:PORT")
    return m.group(1) or "0.0.0.0", int(m.group(2))


async def serve(config: Config, site_root: Path, listen: list[str], https_listen: list[str],
                tls: tuple[ssl.SSLContext, str] | None, stop: asyncio.Event, shared: bool = False,
                timeouts: Timeouts = Timeouts()):
    """shared: several processes listen on the same ports (SO_REUSEPORT)."""
    standin = StandIn(config, site_root, timeouts)
    await standin.start()
    # HTTP.sys limits: MaxFieldLength and MaxRequestBytes are 16 KB each.
    server = _Server(standin.handle, max_line_size=16384, max_field_size=16384, access_log=None,
                     keepalive_timeout=timeouts.idle_connection)
    server.timeouts = timeouts
    runner = web.ServerRunner(server, handle_signals=False)
    await runner.setup()
    # A deep accept queue (aiohttp's default is 128): a burst of connections must not drop the SYN
    # of the next client, which would cost it a one-second retransmission.
    sites = [web.TCPSite(runner, *parse_listen(a), reuse_port=shared, backlog=LISTEN_BACKLOG) for a in listen]
    if https_listen:
        ctx, standin.ssl_description = tls
        sites += [web.TCPSite(runner, *parse_listen(a), ssl_context=ctx, reuse_port=shared, backlog=LISTEN_BACKLOG)
                  for a in https_listen]
    for site in sites:
        await site.start()
        log.info("listening on %s", site.name)
    log.info("%s", standin.fields_directive())
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        await standin.close()
