"""The stand-in's request pipeline: HTTP.sys's checks and request filtering, the rewrite rules,
then ARR (standin/arr.py) or the site (standin/site.py), with one W3C log line per request; and
serve(), which listens the way HTTP.sys does (standin/http_sys.py)."""
from __future__ import annotations

import asyncio
import logging
import re
import time

from aiohttp import web

from . import aspnet, filtering
from .answers import Answers
from .arr import Arr
from .authentication import Authentication
from .dynamic_ip import DynamicIpRestrictions
from .engine import evaluate
from .http_sys import LISTEN_BACKLOG, HttpSys, Response, http_sys_error, parse_listen
from .options import Options
from .request import Request
from .site import Site

log = logging.getLogger("standin")

# The standard W3C fields of the request log line, in its order (IIS's names).
W3C_FIELDS = ("date", "time", "cs-method", "cs-uri-stem", "cs-uri-query", "s-port", "c-ip", "sc-status",
              "sc-substatus", "time-taken")
ABSOLUTE_FORM = re.compile(r"(?i:https?)://(?P<authority>[^/?#]*)(?P<rest>[/?].*)?", re.DOTALL)


class StandIn:
    """IIS with URL Rewrite and ARR, for one site; built whole from its options."""

    def __init__(self, options: Options):
        self.options = options
        self.config = options.config
        self.answers = Answers(self.config)
        self.site = Site(self.config, options.site_root, self.answers)
        self.arr = Arr(options, self.answers)
        self.authentication = Authentication(self.config, options.users)
        self.dynamic_ip = DynamicIpRestrictions(self.config.dynamic_ip)

    async def start(self):
        await self.arr.start()

    async def close(self):
        await self.arr.close()

    async def handle(self, http: web.BaseRequest) -> web.StreamResponse:
        started = time.monotonic()
        req = self.request(http)
        http.protocol.current_payload = http.content
        try:
            with self.dynamic_ip.request(req.remote_addr) as denial:
                if denial is None:
                    response, substatus = await self.respond(http, req)
                else:
                    response, substatus = self.deny(http, denial), denial.substatus
        finally:
            http.protocol.current_payload = None
        log.info("%s %s %s %s %s %s %s %s %d%s", time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
                 req.method, req.raw_path, req.raw_query or "-", req.server_port, req.remote_addr,
                 response.status if response is not None else 0, substatus,
                 int((time.monotonic() - started) * 1000), self.custom_fields(req, response))
        return response

    def deny(self, http, denial):
        """Dynamic IP Restrictions' answer (B80): its status, or with AbortRequest no answer."""
        if denial.status == 0:
            http.transport.abort()
            return Response(status=400)
        return self.answers.error(denial.status, denial.substatus, denial.reason)

    def request(self, http: web.BaseRequest) -> Request:
        peer = http.transport.get_extra_info("peername") if http.transport else None
        sock = http.transport.get_extra_info("sockname") if http.transport else None
        target, headers = http.raw_path, [(k.decode("latin-1"), v.decode("latin-1")) for k, v in http.raw_headers]
        absolute = ABSOLUTE_FORM.fullmatch(target)
        if absolute:
            # RFC 9112 3.2.2: the target's authority is the host; a Host header is ignored (B67).
            target = absolute["rest"] or "/"
            headers = [(k, v) for k, v in headers if k.lower() != "host"] + [("Host", absolute["authority"])]
        return Request(
            method=http.method,
            raw_target=target,
            headers=headers,
            scheme="https" if http.secure else "http",
            remote_addr=peer[0] if peer else "",
            remote_port=peer[1] if peer else 0,
            server_port=sock[1] if sock else 0,
            local_addr=sock[0] if sock else "",
            http_version=f"HTTP/{http.version.major}.{http.version.minor}",
            site_root=self.site.root,
        )

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
        """The response and its IIS substatus, for the log."""
        rejection = filtering.http_sys(req)
        if rejection:
            return http_sys_error(rejection), rejection.substatus
        rejection = filtering.request_filtering(req, self.config, http.content_length)
        if rejection:
            return self.answers.error(rejection.status, rejection.substatus, rejection.reason), rejection.substatus
        outcome = evaluate(self.config, req)
        if outcome.kind == "abort":
            http.transport.abort()  # AbortRequest drops the connection without a response
            return Response(status=400), 0
        if outcome.kind in ("error", "custom"):
            return (self.answers.error(outcome.status, outcome.substatus, outcome.description, outcome.reason),
                    outcome.substatus)
        if outcome.kind == "redirect":
            return self.answers.redirect(outcome.status, outcome.url), 0
        # Rules run at BeginRequest; authentication after them, then the sign-on module (B76, B77).
        verdict = self.authentication.authenticate(req.path, req.header("Authorization"))
        if verdict.substatus is not None:
            return self.answers.unauthorized(verdict.substatus), verdict.substatus
        # ASP.NET's checks, before the module's first event (B79).
        rejection = aspnet.check(self.config, req.path, req.raw_query)
        if rejection:
            return self.answers.error(rejection.status, rejection.substatus, rejection.reason), rejection.substatus
        outcome.header_changes.update(self.authentication.header_changes(req.headers, verdict.user))
        if outcome.kind == "proxy":
            return await self.arr.forward(http, req, outcome)
        return self.site.serve(http.method, outcome.url.partition("?")[0]), 0


async def serve(options: Options, listen: list[str], https_listen: list[str], stop: asyncio.Event,
                shared: bool = False):
    """Listens until stop is set. shared: several processes listen on the same ports (SO_REUSEPORT)."""
    standin = StandIn(options)
    await standin.start()
    runner = web.ServerRunner(HttpSys(standin.handle, options.timeouts), handle_signals=False)
    await runner.setup()
    sites = [web.TCPSite(runner, *parse_listen(a), reuse_port=shared, backlog=LISTEN_BACKLOG) for a in listen]
    if https_listen:
        sites += [web.TCPSite(runner, *parse_listen(a), ssl_context=options.tls[0], reuse_port=shared,
                              backlog=LISTEN_BACKLOG) for a in https_listen]
    for site in sites:
        await site.start()
        log.info("listening on %s", site.name)
    log.info("%s", standin.fields_directive())
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        await standin.close()
