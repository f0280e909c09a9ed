"""One incoming request as URL Rewrite sees it: the raw and the decoded ("cooked") URL, headers,
connection facts, and the server variables computed from them.

Server variables: https://learn.microsoft.com/iis/extensions/url-rewrite-module/url-rewrite-module-configuration-reference#accessing-url-parts-from-a-rewrite-rule
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes


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
    http_version: str = "HTTP/1.1"
    site_root: Path | None = None
    raw_path: str = field(init=False)
    raw_query: str = field(init=False)
    path: str = field(init=False)  # decoded, canonical, with the leading "/"

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
        if name.startswith("HTTP_") and name not in ("HTTP_URL",):
            header = name[5:].replace("_", "-")
            return self.header(header) or ""
        query = f"?{self.raw_query}" if self.raw_query else ""
        https = self.scheme == "https"
        values = {
            "QUERY_STRING": self.raw_query,
            "HTTPS": "on" if https else "off",
            "SERVER_PORT": str(self.server_port),
            "SERVER_PORT_SECURE": "1" if https else "0",
            "REQUEST_URI": self.raw_path + query,
            "UNENCODED_URL": self.raw_target,
            "HTTP_URL": self.raw_target,
            "URL": self.path,
            "PATH_INFO": self.path,
            "CACHE_URL": f"{self.scheme}://{self.host}{self.path}{query}",
            "REMOTE_ADDR": self.remote_addr,
            "REMOTE_HOST": self.remote_addr,
            "REMOTE_PORT": str(self.remote_port),
            "REQUEST_METHOD": self.method,
            "SERVER_NAME": self.host.rsplit(":", 1)[0] if not self.host.endswith("]") else self.host,
            "SERVER_PROTOCOL": self.http_version,
            "REQUEST_FILENAME": str(self.physical_path(self.path) or ""),
            "APPL_PHYSICAL_PATH": str(self.site_root or "") + "/",
        }
        return values.get(name, "")
