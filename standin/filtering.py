"""The gates a request passes before any rewrite rule runs: HTTP.sys URL limits (400) and IIS
Request Filtering (404.x).

HTTP.sys: https://learn.microsoft.com/troubleshoot/developer/webapps/iis/health-diagnostic-performance/httpsys-registry-windows
Request Filtering: https://learn.microsoft.com/iis/configuration/system.webserver/security/requestfiltering/
Request limits: https://learn.microsoft.com/iis/configuration/system.webserver/security/requestfiltering/requestlimits/
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from .request import decode_path

# HTTP.sys registry defaults (KB 820129).
URL_SEGMENT_MAX_LENGTH = 260
URL_SEGMENT_MAX_COUNT = 255
MAX_REQUEST_BYTES = 16384  # the request line and all headers together
# A host name, an IPv4 address or a bracketed IPv6 literal, and an optional port. [INFERRED: HTTP.sys
# documents the 400 "Invalid Hostname", not its exact grammar; this is RFC 3986's without the
# sub-delims and percent escapes no DNS name has.]
BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
VALID_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(:\d{1,5})?")

# Hidden segments of IIS's default applicationHost.config: requests for them get 404.8.
HIDDEN_SEGMENTS = ("web.config", "bin", "App_code", "App_GlobalResources", "App_LocalResources",
                   "App_WebReferences", "App_Data", "App_Browsers")


@dataclass(frozen=True)
class Rejection:
    status: int
    substatus: int
    reason: str


def _restricted(ch: str) -> bool:
    # AllowRestrictedChars=0: escapes that decode to U+0000-U+001F or U+007F-U+009F are refused.
    return ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F


def http_sys(request) -> Rejection | None:
    # Each header line at its shortest ("name:value" and CRLF): the spacing a client used is not
    # kept by the parser, and counting a space it did not send refused 15 KB of "a:b" lines (B65).
    size = len(request.method) + len(request.raw_target) + len(request.http_version) + 4
    size += sum(len(k) + len(v) + 3 for k, v in request.headers) + 2
    if size > MAX_REQUEST_BYTES:
        return Rejection(400, 0, "Bad Request - Request Too Long")
    hosts = [v for k, v in request.headers if k.lower() == "host"]
    if len(hosts) > 1 or (hosts and not VALID_HOST.fullmatch(hosts[0])) or \
            (not hosts and request.http_version == "HTTP/1.1"):
        return Rejection(400, 0, "Bad Request - Invalid Hostname")
    if request.http_version == "HTTP/0.9":
        # [INFERRED] a request line without a version (HTTP/0.9), which nothing forwards (B81).
        return Rejection(400, 0, "Bad Request - Invalid Verb")
    segments = request.path.split("/")[1:]
    if BAD_ESCAPE.search(request.raw_path):  # [INFERRED] an escape HTTP.sys cannot decode
        return Rejection(400, 0, "Bad Request - Invalid URL")
    # The decoded URL as sent, before its dot segments go: "/a%00/../b" holds a NUL too.
    if any(_restricted(ch) for ch in decode_path(request.raw_path)):
        return Rejection(400, 0, "Bad Request - Invalid URL")
    if len(segments) > URL_SEGMENT_MAX_COUNT or any(len(s) > URL_SEGMENT_MAX_LENGTH for s in segments):
        return Rejection(400, 0, "Bad Request - Invalid URL")
    return None


def request_filtering(request, config, content_length: int | None) -> Rejection | None:
    rf, limits = config.request_filtering, config.request_limits
    if not rf["allowDoubleEscaping"] and ("+" in request.path or unquote(request.path) != request.path):
        return Rejection(404, 11, "The request filtering module is configured to deny a request that contains"
                                  " a double escape sequence.")
    if not rf["allowHighBitCharacters"] and any(ord(ch) > 0x7F for ch in request.path):
        return Rejection(404, 12, "The request filtering module is configured to deny a request that contains"
                                  " high bit characters.")
    if content_length is not None and content_length > limits["maxAllowedContentLength"]:
        return body_too_large()
    if len(request.raw_path) > limits["maxUrl"]:
        return Rejection(404, 14, "The request filtering module is configured to deny a request where the URL"
                                  " is too long.")
    if len(request.raw_query) > limits["maxQueryString"]:
        return Rejection(404, 15, "The request filtering module is configured to deny a request where the query"
                                  " string is too long.")
    hidden = {h.lower() for h in HIDDEN_SEGMENTS}
    if any(s.lower() in hidden for s in request.path.split("/")):
        return Rejection(404, 8, "The request filtering module is configured to deny a path in the URL that"
                                 " contains a hiddenSegment section.")
    return None


def body_too_large() -> Rejection:
    return Rejection(404, 13, "The request filtering module is configured to deny a request that exceeds the"
                              " request content length.")
