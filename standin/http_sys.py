"""HTTP.sys, the front end: its limits and connection timers, its own page for what it refuses,
and responses without the defaults aiohttp would add (IIS and ARR send no Server or Content-Type
of their own)."""
from __future__ import annotations

import re

from aiohttp import hdrs, web, web_protocol

from .errors import error_page
from .options import Timeouts

# HTTP.sys limits: MaxFieldLength and MaxRequestBytes are 16 KB each. It counts the headers' bytes,
# not their lines: 16 KB holds 4096 of the shortest ("a:" and CRLF), so no count of its own binds first
# (aiohttp's default would refuse the 129th line).
MAX_FIELD = 16384
MAX_HEADERS = 16384 // 4
# Bytes of a request body read ahead per connection (twice this before reading pauses): small, so
# that hundreds of uploads that stall hold little memory (aiohttp's default is 64 KiB).
READ_BUFFER = 16 * 1024
# A deep accept queue (aiohttp's default is 128): a burst of connections must not drop the SYN of
# the next client, which would cost it a one-second retransmission.
LISTEN_BACKLOG = 1024

# HTTP.sys's own page for a malformed request (the body of its 400s; B68).
HTTP_SYS_400 = ('<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN""http://www.w3.org/TR/html4/strict.dtd">\r\n'
                "<HTML><HEAD><TITLE>Bad Request</TITLE>\r\n"
                '<META HTTP-EQUIV="Content-Type" Content="text/html; charset=us-ascii"></HEAD>\r\n'
                "<BODY><h2>Bad Request</h2>\r\n<hr><p>HTTP Error 400. The request is badly formed.</p>\r\n"
                "</BODY></HTML>\r\n")


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


class HttpSysResponse(Response):
    """What HTTP.sys answers itself: its status line says HTTP/1.1 whatever the request said (aiohttp
    would echo the request's version, 1.0 for one it could not parse; B68)."""

    async def _write_headers(self) -> None:
        await self._payload_writer.write_headers(f"HTTP/1.1 {self._status} {self._reason}", self._headers)
        if self._send_headers_immediately:
            self._payload_writer.send_headers()


class StreamResponse(_IisHeaders, web.StreamResponse):
    pass


class FileResponse(_IisHeaders, web.FileResponse):
    pass


class WebSocketResponse(_IisHeaders, web.WebSocketResponse):
    pass


class MalformedBody(Exception):
    """A request body that stopped being HTTP part way (a bad chunk): HTTP.sys answers 400 (B78)."""


def bad_request() -> Response:
    """HTTP.sys's own 400, after which it closes the connection (B68)."""
    resp = HttpSysResponse(status=400, content_type="text/html", charset="us-ascii", text=HTTP_SYS_400)
    resp.force_close()
    return resp


def http_sys_error(rejection) -> Response:
    """HTTP.sys's own answer to a request it refuses (B65, B66, B81): its page with the reason, no
    Server header (the Windows image sets DisableServerHeader: docs/windows.md W28), HTTP/1.1."""
    phrase, body = error_page(rejection.status, rejection.substatus, rejection.reason)
    return HttpSysResponse(status=rejection.status, reason=phrase, content_type="text/html", text=body)


class _Connection(web_protocol.RequestHandler):
    """One client connection. What aiohttp answers itself (a request its parser refuses, or a
    handler that crashed) comes as HTTP.sys or IIS word it: a short page, no Server header, no parser
    or Python detail, and the connection closed (B68). HeaderWait cuts off a client that never
    finishes its headers (B70)."""

    _header_wait = None
    # The body of the request being handled (set by the pipeline, server.StandIn.handle).
    current_payload = None

    def connection_made(self, transport):
        super().connection_made(transport)
        self._header_wait = self._loop.call_later(self._manager.timeouts.header_wait, self._headers_too_slow)

    def data_received(self, data):
        # Requests sent in one write are answered one by one, a malformed one after those before it
        # (B81): aiohttp's parser drops every request of a write in which one fails, so a write
        # holding several requests is fed a request head at a time. [INFERRED: HTTP.sys parses the
        # requests on a connection in order and answers the first bad one with its 400]
        # Only heads of requests without a body are taken apart: a body's bytes go on with its head.
        while data.count(b"\r\n\r\n") > 1 and self._parser is not None and not self._upgraded:
            head, _, rest = data.partition(b"\r\n\r\n")
            if re.search(rb"(?im)^(content-length|transfer-encoding)\s*:", head):
                break
            queued = len(self._messages)
            self._received(head + b"\r\n\r\n")
            if any(isinstance(m, web_protocol._ErrInfo) for m, _ in list(self._messages)[queued:]):
                return  # HTTP.sys closes the connection after its 400: nothing after it is read
            data = rest
        self._received(data)

    def _received(self, data):
        queued = len(self._messages)
        super().data_received(data)
        if self._header_wait is not None and self._messages:
            self._header_wait.cancel()
            self._header_wait = None
        payload = self.current_payload
        if payload is not None and not payload.is_eof() and any(
                isinstance(message, web_protocol._ErrInfo) for message, _ in list(self._messages)[queued:]):
            # aiohttp's C parser drops the body it was filling when a chunk is malformed, and only
            # queues a 400 for after this request: without this, the request would wait for the
            # EntityBody timer while the client waits for an answer. Ended too, so that nothing
            # lingers to read the rest of a body that will not come.
            payload.set_exception(MalformedBody())
            payload.feed_eof()

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
            resp = bad_request()
        else:
            phrase, body = error_page(status, 0, "The page cannot be displayed because an internal server error"
                                                 " has occurred.")
            resp = Response(status=status, reason=phrase, content_type="text/html", text=body)
        resp.force_close()
        return resp


class HttpSys(web.Server):
    """aiohttp's low-level server with HTTP.sys's limits and timers, calling handler per request."""

    def __init__(self, handler, timeouts: Timeouts):
        super().__init__(handler, max_line_size=MAX_FIELD, max_field_size=MAX_FIELD, max_headers=MAX_HEADERS,
                         read_bufsize=READ_BUFFER, access_log=None, keepalive_timeout=timeouts.idle_connection)
        self.timeouts = timeouts

    def __call__(self):
        return _Connection(self, loop=self._loop, **self._kwargs)


def parse_listen(value: str) -> tuple[str, int]:
    m = re.fullmatch(r"\[?([^\]]*)\]?:(\d+)", value)
    if not m:
        raise ValueError(f"listen address '{value}' is not HOST:PORT")
    return m.group(1) or "0.0.0.0", int(m.group(2))
