"""The hosting layer for a WSGI app: rules.py's decisions as WSGI middleware around it (the prefix
mount, one-hop proxy trust, the health endpoint, diagnostics, HSTS, cookie scope, the body limit).

None of it lives in the hosted app, so an app chosen with APP_MODULE keeps the healthcheck the
containers depend on and the diagnostics the smoke suite reads. The mount is the original post's
DispatcherMiddleware(NotFound(), {prefix: app}), with the prefix taken from APP_PREFIX.
"""
from __future__ import annotations

import sys
import tempfile
import time

from werkzeug.exceptions import BadRequest, NotFound, RequestEntityTooLarge
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response
from werkzeug.wsgi import ClosingIterator

from ..config import Settings
from . import rules


def environ_key(header: str) -> str:
    return "HTTP_" + header.upper().replace("-", "_")


FORWARDED = tuple(environ_key(h) for h in rules.FORWARDED)
# Request bodies without a length (chunked) are spooled to disk past this size, never held whole.
SPOOL_IN_MEMORY = 1024 * 1024


def host(app, settings: Settings):
    """The hosted WSGI app as the app server runs it."""
    inner = HostingRoutes(app, settings)
    mounted = DispatcherMiddleware(NotFound(), {settings.mount: inner})
    scoped = CookieScope(StrictTransportSecurity(mounted, settings.hsts_seconds), settings.mount)
    trusted = OneTrustedProxy(BodyLimit(scoped, settings.max_body_bytes), settings.from_iis)
    signed_in = RemoteUser(trusted, settings.from_iis)
    return RequestLog(signed_in, settings.from_iis, settings.log_level in ("debug", "info"))


class RequestLog:
    """One JSON line per request on stdout, the app's access log on both servers, with the request
    ID that IIS's own log shows too: ARR stamps every request it forwards with a GUID in
    X-ARR-LOG-ID (the proxy's logGuidName), and IIS logs it as a W3C custom field (server.config).
    A request that did not come through IIS gets an ID of its own. The ID is echoed as
    X-Request-ID so a user can quote it. A client's own X-Request-ID is not taken: IIS would pass
    it on unchanged, so it could be anything."""

    HEADER = environ_key(rules.REQUEST_ID_HEADER)

    def __init__(self, app, from_iis, enabled: bool):
        self.app, self.from_iis, self.enabled = app, from_iis, enabled
        self.out = sys.stdout

    def __call__(self, environ, start_response):
        started = time.monotonic()
        request_id = rules.request_id(environ.get(self.HEADER), self.from_iis(environ.get("REMOTE_ADDR")))
        # Read now: the mount moves the prefix from PATH_INFO to SCRIPT_NAME in place.
        record = {"request_id": request_id, "method": environ.get("REQUEST_METHOD"),
                  "path": environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""),
                  "query": environ.get("QUERY_STRING", "")}

        def start(status, headers, exc_info=None):
            record["status"] = int(status.split(" ", 1)[0])
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"] + [("X-Request-ID", request_id)]
            return start_response(status, headers, exc_info)

        def done():
            if not self.enabled:
                return
            rules.write_line(rules.access_line(record, environ.get("REMOTE_ADDR"), environ.get("HTTP_HOST"),
                                               time.monotonic() - started), self.out)

        return ClosingIterator(self.app(environ, start), [done])


class RemoteUser:
    """The user IIS signed in (Windows sign-on) as the WSGI REMOTE_USER, which Flask's
    request.remote_user and Django's RemoteUserMiddleware read, as under wfastcgi. IIS sets
    X-Remote-User after authentication, having removed any the client sent; the app takes it from
    the one trusted hop only, and from anyone else takes no user at all. A value with a comma is two
    headers joined (a Windows account name has no comma): no user either. REMOTE_USER is always
    decided here, whatever the WSGI server put there."""

    HEADER = environ_key(rules.REMOTE_USER_HEADER)

    def __init__(self, app, from_iis):
        self.app, self.from_iis = app, from_iis

    def __call__(self, environ, start_response):
        # A WSGI server joins repeated headers with a comma: one value here, refused for its comma.
        values = [environ.pop(self.HEADER)] if self.HEADER in environ else []
        environ.pop("REMOTE_USER", None)
        user = rules.remote_user(values, self.from_iis(environ.get("REMOTE_ADDR")))
        if user:
            environ["REMOTE_USER"] = user
        return self.app(environ, start_response)


class OneTrustedProxy:
    """Applies X-Forwarded-For/-Proto and X-Original-Host from the one proxy hop (from_iis: IIS's
    address, or a swarm's private network), and drops them from anyone else, so a client reaching
    the app directly cannot spoof them."""

    def __init__(self, app, from_iis):
        self.from_iis = from_iis
        self.direct = app
        # IIS sends the client's Host as X-Original-Host (the post's step 4); ProxyFix reads X-Forwarded-Host.
        self.proxied = ProxyFix(app, x_for=1, x_proto=1, x_host=1, x_port=0, x_prefix=0)

    def __call__(self, environ, start_response):
        if not self.from_iis(environ.get("REMOTE_ADDR")):
            for key in FORWARDED:
                environ.pop(key, None)
            return self.direct(environ, start_response)
        environ.pop("HTTP_X_FORWARDED_HOST", None)
        host = rules.original_host(environ.get("HTTP_X_ORIGINAL_HOST"))
        if host:
            environ["HTTP_X_FORWARDED_HOST"] = host
        else:
            environ["HTTP_HOST"] = ""
        return self.proxied(environ, start_response)


class BodyLimit:
    """413 for a body over max_bytes, before the app runs: at once for a declared length; a chunked
    body is spooled (to disk past 1 MiB) up to the limit and handed on with its length."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    def __call__(self, environ, start_response):
        length = environ.get("CONTENT_LENGTH")
        if length:
            if rules.declared_length_refused(length, self.max_bytes):
                return RequestEntityTooLarge()(environ, start_response)
        elif "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            body = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
            size = _copy_at_most(environ["wsgi.input"], body, self.max_bytes + 1)
            if size > self.max_bytes:
                body.close()
                return RequestEntityTooLarge()(environ, start_response)
            body.seek(0)
            environ.update({"wsgi.input": body, "CONTENT_LENGTH": str(size)})
            environ.pop("HTTP_TRANSFER_ENCODING")
        return self.app(environ, start_response)


def _copy_at_most(source, target, limit: int) -> int:
    size = 0
    while size < limit:
        chunk = source.read(min(64 * 1024, limit - size))
        if not chunk:
            break
        target.write(chunk)
        size += len(chunk)
    return size


def _with_headers(start_response, change):
    """A start_response that lets change(headers) edit the header list first."""

    def wrapped(status, headers, exc_info=None):
        return start_response(status, change(list(headers)), exc_info)

    return wrapped


class StrictTransportSecurity:
    """Strict-Transport-Security on HTTPS responses; the scheme is the client's, from the one proxy."""

    def __init__(self, app, seconds: int):
        self.app, self.seconds = app, seconds

    def __call__(self, environ, start_response):
        scheme = environ.get("wsgi.url_scheme", "http")

        def add(headers):
            value = rules.hsts(scheme, self.seconds, [k for k, _ in headers])
            return headers + [("Strict-Transport-Security", value)] if value else headers

        return self.app(environ, _with_headers(start_response, add))


class CookieScope:
    """Keeps the hosted app's cookies to its prefix and, over HTTPS, to HTTPS: Path=/ (most
    frameworks' default, meant for an app at the site root) becomes Path=/<prefix>, and a cookie
    set on an HTTPS response gets Secure. Other paths and attributes are left as the app set them."""

    def __init__(self, app, mount: str):
        self.app, self.mount = app, mount

    def __call__(self, environ, start_response):
        https = environ.get("wsgi.url_scheme") == "https"

        def scope(headers):
            return [(k, rules.rescope_cookie(v, self.mount, https) if k.lower() == "set-cookie" else v)
                    for k, v in headers]

        return self.app(environ, _with_headers(start_response, scope))


class HostingRoutes:
    """The hosting layer's own routes under the prefix, ahead of the app: /health always, and the
    diagnostics when APP_DIAGNOSTICS=true. Every other path goes to the app unchanged."""

    # url_for's machinery (werkzeug's MapAdapter.build), on the layer's own /health route: what any
    # hosted app's absolute links come out as, whatever routes the app has.
    LINKS = Map([Rule(rules.HEALTH, endpoint="health")])

    def __init__(self, app, settings: Settings):
        self.app, self.settings = app, settings
        self.routes = {rules.HEALTH: self.health}
        if settings.diagnostics:
            self.routes.update({rules.DIAGNOSTICS: self.diagnostics, rules.DIAGNOSTICS_REDIRECT: self.redirect})

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        # No host (an HTTP/1.0 client sends none), one no link can be built from (a label over 63
        # characters), or one not listed: 400, never links to "http:///" or a 500 from deep in the app.
        problem = rules.host_problem(path, environ.get("HTTP_HOST", ""), self.settings.allowed_hosts)
        if problem:
            return BadRequest(problem)(environ, start_response)
        route = self.routes.get(path)
        if route is None:
            return self.app(environ, start_response)
        return route(Request(environ))(environ, start_response)

    def health(self, request):
        return _json({"status": "ok"})

    def link(self, request) -> str:
        return self.LINKS.bind_to_environ(request.environ).build("health", force_external=True)

    def diagnostics(self, request):
        # What the app saw of the request after the proxy trust step: for the smoke tests. Off by default.
        if request.method not in ("GET", "POST"):
            return Response(status=405, headers={"Allow": "GET, POST"})
        delay = rules.delay_seconds(request.args.get("delay"))
        if delay > 0:
            # For shutdown tests: a request that is provably in flight.
            request.environ["wsgi.errors"].write(f"diagnostics: request in flight for {delay:.1f} s\n")
            request.environ["wsgi.errors"].flush()
            time.sleep(delay)
        return _json(rules.diagnostics(
            remote_addr=request.remote_addr, remote_user=request.remote_user, scheme=request.scheme,
            host=request.host, script_root=request.script_root, path=request.path, url=request.url,
            link=self.link(request), body=request.get_data(), headers=dict(request.headers.items()),
            as_received=request.environ.get("werkzeug.proxy_fix.orig", {})))

    def redirect(self, request):
        return Response(status=302, headers={"Location": self.link(request)})


def _json(value) -> Response:
    return Response(rules.to_json(value), mimetype="application/json")

