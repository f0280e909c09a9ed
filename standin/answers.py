"""Responses IIS writes itself (its error pages, redirects, the site's files): with its Server
header unless requestFiltering removes it, and with the site's customHeaders."""
from __future__ import annotations

from aiohttp import web

from .authentication import CHALLENGES
from .errors import error_page
from .http_sys import Response
from .model import Config

IIS_SERVER_HEADER = "Microsoft-IIS/10.0"


class Answers:
    def __init__(self, config: Config):
        self.config = config

    def server_headers(self, headers) -> None:
        if not self.config.request_filtering["removeServerHeader"]:
            headers["Server"] = IIS_SERVER_HEADER
        for name, value in self.config.custom_headers.items():
            headers[name] = value

    def base(self, status: int, reason: str | None = None) -> web.Response:
        resp = Response(status=status, reason=reason)
        self.server_headers(resp.headers)
        return resp

    def error(self, status: int, substatus: int, description: str, reason: str = "") -> web.Response:
        phrase, body = error_page(status, substatus, description, reason)
        resp = self.base(status, phrase)
        resp.content_type = "text/html"
        resp.text = body
        return resp

    def unauthorized(self, substatus: int) -> web.Response:
        """IIS's 401 when authentication is required: its two challenges, 401.2 without credentials
        it accepts, 401.1 with wrong ones (Microsoft, HTTP status codes in IIS)."""
        description = {1: "You do not have permission to view this directory or page because of invalid credentials.",
                       2: "You do not have permission to view this directory or page because of the authentication"
                          " headers."}[substatus]
        resp = self.error(401, substatus, description)
        for challenge in CHALLENGES:
            resp.headers.add("WWW-Authenticate", challenge)
        return resp

    def redirect(self, status: int, url: str) -> web.Response:
        resp = self.base(status)
        resp.headers["Location"] = url
        resp.text = (f'<head><title>Document Moved</title></head><body><h1>Object Moved</h1>This document may be'
                     f' found <a HREF="{url}">here</a></body>')
        return resp
