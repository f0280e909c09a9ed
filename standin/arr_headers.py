"""ARR's header rules: which client headers it forwards, drops or replaces, what it adds
(X-Forwarded-For, X-ARR-SSL, X-ARR-LOG-ID, X-Original-URL, Max-Forwards), and what it passes back of
the backend's response headers (B50, B52)."""
from __future__ import annotations

import random
import uuid

import aiohttp
import yarl
from multidict import CIMultiDict

from .answers import IIS_SERVER_HEADER
from .model import Config
from .request import Request

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
              "proxy-authenticate", "proxy-authorization"}


def connection_tokens(values) -> set[str]:
    """Header names listed in Connection headers: hop-by-hop for this message only."""
    return {token.strip().lower() for value in values for token in value.split(",")}


class ArrHeaders:
    def __init__(self, config: Config, ssl_description: str = ""):
        self.config, self.ssl_description = config, ssl_description
        proxy = config.proxy
        # Client headers ARR drops or replaces with its own (B50); fixed per configuration.
        self.not_forwarded = HOP_BY_HOP | {
            proxy["sslHeaderName"].lower(), proxy["clientCertHeaderName"].lower(), proxy["logGuidName"].lower(),
            "max-forwards", "host", "x-original-url", "expect"} - {""}
        self.xff_lower = proxy["xForwardedForHeaderName"].lower() or None
        self.max_forwards = str(proxy["maxForwards"])

    def request(self, req: Request, target: yarl.URL, header_changes) -> list[tuple[str, str]]:
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

    def response(self, req: Request, backend: aiohttp.ClientResponse, target: yarl.URL) -> CIMultiDict:
        """The backend's headers as ARR passes them: no hop-by-hop ones, Location back at the client's
        origin, Server as passServerHeader says, the site's custom headers added."""
        proxy = self.config.proxy
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
        return headers
