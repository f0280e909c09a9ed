"""The hosting layer for an ASGI app: rules.py's decisions as one ASGI middleware around it, for HTTP
requests and WebSocket handshakes alike (the prefix mount as root_path, one-hop proxy trust, host
checks, /health, diagnostics, the access log with the request ID, HSTS, cookie scope, the body
limit, the signed-in user). Lifespan events pass straight through."""
from __future__ import annotations

import asyncio
import sys
import time
from urllib.parse import parse_qs

from ..config import Settings
from . import rules

# The scope extension the server sets on a request whose kept-alive connection is to retire
# (app/server/uvicorn_server.py): its response says Connection: close.
RETIRE = "app.retire_connection"


class BodyTooLarge(Exception):
    """Raised by receive() once a body without a declared length passes the limit."""


def host(app, settings: Settings):
    """The hosted ASGI app as uvicorn runs it."""
    return Hosted(app, settings, settings.log_level in ("debug", "info"))


def _headers(scope) -> list[tuple[str, str]]:
    return [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope.get("headers", [])]


def _values(headers, name: str) -> list[str]:
    return [v for k, v in headers if k == name]


def _first(headers, name: str) -> str | None:
    found = _values(headers, name)
    return found[0] if found else None


class Hosted:
    """Every guarantee of the hosting layer around one ASGI app. The scope is copied, never changed
    in place (the ASGI spec's rule for middleware)."""

    def __init__(self, app, settings: Settings, log: bool):
        self.app, self.settings, self.log = app, settings, log
        self.out = sys.stdout

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        started = time.monotonic()
        peer = (scope.get("client") or (None, None))[0]
        from_iis = self.settings.from_iis(peer)
        headers = _headers(scope)
        record = {"request_id": rules.request_id(_first(headers, rules.REQUEST_ID_HEADER), from_iis),
                  "method": scope.get("method", "GET"), "path": scope["path"],
                  "query": scope.get("query_string", b"").decode("latin-1")}
        scope, headers = self.trusted(scope, headers, peer, from_iis)
        send = self.stamped(scope, send, record)
        try:
            await self.route(scope, headers, receive, send, record)
        finally:
            if self.log:
                rules.write_line(rules.access_line(record, scope["client"][0] if scope.get("client") else None,
                                                   _first(headers, "host"), time.monotonic() - started), self.out)

    def trusted(self, scope, headers, peer, from_iis):
        """The scope as the one proxy hop says the client sent it (from IIS), or without the headers
        only IIS may set (from anyone else); the user IIS signed in as the header X-Remote-User,
        which the adapter for every framework reads, kept from IIS only."""
        user = rules.remote_user(_values(headers, rules.REMOTE_USER_HEADER), from_iis)
        as_received = {}
        kept = [(k, v) for k, v in headers if k != rules.REMOTE_USER_HEADER and (from_iis or k not in rules.FORWARDED)]
        scope = dict(scope)
        if from_iis:
            client = rules.one_hop(_first(headers, "x-forwarded-for"))
            proto = rules.one_hop(_first(headers, "x-forwarded-proto"))
            host = rules.original_host(_first(headers, "x-original-host"))
            as_received = {"REMOTE_ADDR": peer, "HTTP_HOST": _first(headers, "host")}
            if client:
                scope["client"] = (client, 0)
            if proto in ("http", "https"):
                scope["scheme"] = proto if scope["type"] == "http" else proto.replace("http", "ws")
            kept = [(k, v) for k, v in kept if k != "host"] + ([("host", host)] if host else [])
        if user:
            kept.append((rules.REMOTE_USER_HEADER, user))
        scope["headers"] = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in kept]
        scope["hosting.as_received"] = as_received
        return scope, kept

    def stamped(self, scope, send, record):
        """send() that adds X-Request-ID, HSTS and the cookie scope to the response, and records its status."""
        https = scope.get("scheme") in ("https", "wss")

        async def wrapped(message):
            kind = message["type"]
            if kind in ("http.response.start", "websocket.http.response.start"):
                record["status"] = message["status"]
                headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", [])]
                headers = [(k, rules.rescope_cookie(v, self.settings.mount, https) if k.lower() == "set-cookie" else v)
                           for k, v in headers if k.lower() != "x-request-id"]
                headers.append(("x-request-id", record["request_id"]))
                value = rules.hsts(scope.get("scheme", "http"), self.settings.hsts_seconds, [k for k, _ in headers])
                if value:
                    headers.append(("strict-transport-security", value))
                if RETIRE in scope.get("extensions", {}) and kind == "http.response.start":
                    headers.append(("connection", "close"))
                message = {**message, "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]}
            elif kind == "websocket.accept":
                record["status"] = 101
                headers = list(message.get("headers", [])) + [(b"x-request-id", record["request_id"].encode())]
                message = {**message, "headers": headers}
            elif kind == "websocket.close" and "status" not in record:
                record["status"] = 403  # closed before the handshake: the server answers 403
            await send(message)

        return wrapped

    async def route(self, scope, headers, receive, send, record):
        """record: the access log's, whose status stamped() sets once the response has started."""
        path = rules.mounted_path(scope["path"], self.settings.mount)
        if path is None:
            return await self.refuse(scope, send, 404, "Not Found")
        problem = rules.host_problem(path, _first(headers, "host") or "", self.settings.allowed_hosts)
        if problem:
            return await self.refuse(scope, send, 400, problem)
        # root_path is where the app is mounted; path keeps the prefix, as the ASGI spec and uvicorn
        # since 0.26 have it, and the frameworks strip root_path from it to route (IIS forwards the
        # whole path, so the app sees what the client asked for).
        scope["root_path"] = scope.get("root_path", "") + self.settings.mount
        if scope["type"] == "websocket":
            return await self.app(scope, receive, send)
        if path == rules.HEALTH:
            return await self.respond(send, 200, rules.to_json({"status": "ok"}))
        if self.settings.diagnostics and path in (rules.DIAGNOSTICS, rules.DIAGNOSTICS_REDIRECT):
            return await self.diagnostics(scope, headers, path, receive, send)
        length = _first(headers, "content-length")
        if rules.declared_length_refused(length, self.settings.max_body_bytes):
            return await self.respond(send, 413, b"Request Entity Too Large\n", "text/plain")
        if length is None:
            receive = self.limited(receive)
        try:
            await self.app(scope, receive, send)
        except BodyTooLarge:
            if "status" not in record:
                await self.respond(send, 413, b"Request Entity Too Large\n", "text/plain")

    def limited(self, receive):
        """receive() that counts a body without a declared length (chunked) against the limit."""
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.settings.max_body_bytes:
                raise BodyTooLarge()
            return message

        return counted

    async def refuse(self, scope, send, status: int, text: str):
        if scope["type"] == "websocket":
            # Before the handshake: the server turns a close into an HTTP 403.
            return await send({"type": "websocket.close", "code": 1008})
        return await self.respond(send, status, (text + "\n").encode(), "text/plain")

    @staticmethod
    async def respond(send, status: int, body: bytes, content_type: str = "application/json", extra=()):
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode()),
                                *extra]})
        await send({"type": "http.response.body", "body": body})

    async def diagnostics(self, scope, headers, path, receive, send):
        if scope["method"] not in ("GET", "POST"):
            return await self.respond(send, 405, b"", extra=[(b"allow", b"GET, POST")])
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        delay = rules.delay_seconds((query.get("delay") or [None])[0])
        if delay > 0:
            # For shutdown tests: a request that is provably in flight.
            print(f"diagnostics: request in flight for {delay:.1f} s", file=sys.stderr, flush=True)
            await asyncio.sleep(delay)
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        host = _first(headers, "host") or ""
        root = scope["root_path"]
        link = f"{scope['scheme']}://{host}{root}{rules.HEALTH}"
        if path == rules.DIAGNOSTICS_REDIRECT:
            return await self.respond(send, 302, b"", extra=[(b"location", link.encode())])
        query_string = scope.get("query_string", b"").decode("latin-1")
        url = f"{scope['scheme']}://{host}{scope['path']}" + (f"?{query_string}" if query_string else "")
        seen = rules.diagnostics(
            remote_addr=(scope.get("client") or (None,))[0], remote_user=_first(headers, rules.REMOTE_USER_HEADER),
            scheme=scope["scheme"], host=host, script_root=root, path=scope["path"][len(root):], url=url,
            link=link, body=body, headers={k.title(): v for k, v in headers},
            as_received=scope["hosting.as_received"])
        await self.respond(send, 200, rules.to_json(seen))
