"""One incoming request as URL Rewrite sees it: the raw and the decoded ("cooked") URL, headers,
connection facts, and the server variables computed from them.

Server variables: https://learn.microsoft.com/iis/extensions/url-rewrite-module/url-rewrite-module-configuration-reference#accessing-url-parts-from-a-rewrite-rule
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote_to_bytes


def decode_path(raw_path: str) -> str:
    """Percent-decodes as HTTP.sys does with FavorUTF8: UTF-8 first, ANSI (Latin-1) if that fails."""
    data = unquote_to_bytes(raw_path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def remove_dot_segments(path: str) -> str:
    """HTTP.sys canonicalises the path before IIS sees it. [INFERRED: RFC 3986 5.2.4 behaviour]"""
    if not path.startswith("/"):
        path = "/" + path
    trailing = path.endswith(("/", "/.", "/.."))
    norm = posixpath.normpath(path)
    if norm.startswith("//"):  # normpath keeps a leading "//"
        norm = "/" + norm.lstrip("/")
    if trailing and norm != "/":
        norm += "/"
    return norm


@dataclass
class Request:
    method: str
    raw_target: str  # as on the request line: path and query, still encoded
    headers: list[tuple[str, str]]
    scheme: str = "http"
    remote_addr: str = "127.0.0.1"
    remote_port: int = 50000
    server_port: int = 80
    local_addr: str = "127.0.0.1"
    http_version: str = "HTTP/1.1"
    site_root: Path | None = None
    raw_path: str = field(init=False)
    raw_query: str = field(init=False)
    path: str = field(init=False)  # decoded, canonical, with the leading "/"
    arr_log_id: str = field(init=False, default="")  # the GUID ARR stamped on the forwarded request

    def __post_init__(self):
        self.raw_path, _, self.raw_query = self.raw_target.partition("?")
        self.path = remove_dot_segments(decode_path(self.raw_path))

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return ",".join(values) if values else None

    @property
    def host(self) -> str:
        return self.header("Host") or ""

    def physical_path(self, url_path: str) -> Path | None:
        if self.site_root is None:
            return None
        return self.site_root.joinpath(*[p for p in url_path.split("/") if p])

    def variable(self, name: str) -> str:
        """A server variable by its upper-case name; an absent header is the empty string."""
        if name.startswith("HTTP_") and name != "HTTP_URL":
            return self.header(name[5:].replace("_", "-")) or ""
        compute = VARIABLES.get(name)
        return compute(self) if compute else ""

    @property
    def query_suffix(self) -> str:
        return f"?{self.raw_query}" if self.raw_query else ""


# Computed on demand: a rule usually reads one or two of these.
VARIABLES = {
    "QUERY_STRING": lambda r: r.raw_query,
    "HTTPS": lambda r: "on" if r.scheme == "https" else "off",
    "SERVER_PORT": lambda r: str(r.server_port),
    "SERVER_PORT_SECURE": lambda r: "1" if r.scheme == "https" else "0",
    "REQUEST_URI": lambda r: r.raw_path + r.query_suffix,
    "UNENCODED_URL": lambda r: r.raw_target,
    "HTTP_URL": lambda r: r.raw_target,
    "URL": lambda r: r.path,
    "PATH_INFO": lambda r: r.path,
    "CACHE_URL": lambda r: f"{r.scheme}://{r.host}{r.path}{r.query_suffix}",
    "REMOTE_ADDR": lambda r: r.remote_addr,
    "REMOTE_HOST": lambda r: r.remote_addr,
    "REMOTE_PORT": lambda r: str(r.remote_port),
    "REQUEST_METHOD": lambda r: r.method,
    "SERVER_NAME": lambda r: r.host if r.host.endswith("]") else r.host.rsplit(":", 1)[0],
    "SERVER_PROTOCOL": lambda r: r.http_version,
    "REQUEST_FILENAME": lambda r: str(r.physical_path(r.path) or ""),
    "APPL_PHYSICAL_PATH": lambda r: str(r.site_root or "") + "/",
    # The rest of Microsoft's "IIS Server Variables" list that means something here (B72).
    "CONTENT_LENGTH": lambda r: r.header("Content-Length") or "",
    "CONTENT_TYPE": lambda r: r.header("Content-Type") or "",
    "LOCAL_ADDR": lambda r: r.local_addr,
    "SERVER_ADDR": lambda r: r.local_addr,
    "SCRIPT_NAME": lambda r: r.path,
    "PATH_TRANSLATED": lambda r: str(r.physical_path(r.path) or ""),
    "GATEWAY_INTERFACE": lambda r: "CGI/1.1",
    "SERVER_SOFTWARE": lambda r: "Microsoft-IIS/10.0",
    "INSTANCE_ID": lambda r: "1",
    "APPL_MD_PATH": lambda r: "/LM/W3SVC/1/ROOT",
    "INSTANCE_META_PATH": lambda r: "/LM/W3SVC/1",
    # Anonymous authentication, the only kind the stand-in models: no user.
    "AUTH_TYPE": lambda r: "",
    "AUTH_USER": lambda r: "",
    "LOGON_USER": lambda r: "",
    "REMOTE_USER": lambda r: "",
}
