"""The hosting layer's decisions, once, for WSGI and ASGI alike: each a function of a request's plain
facts (the peer's address, the path, header values as strings), so that wsgi.py and asgi.py differ
only in how they read a request and write a response."""
from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import sys
import uuid
from datetime import datetime, timezone

from werkzeug.sansio.utils import host_is_trusted

# Headers only IIS may set: from anyone else they are dropped (ASGI names; WSGI's are HTTP_ + upper).
FORWARDED = ("x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port",
             "x-forwarded-prefix", "x-original-host", "forwarded")
# ARR stamps every request it forwards with a GUID in this header (the proxy's logGuidName,
# iis/server.config), and IIS logs it as a W3C custom field.
REQUEST_ID_HEADER = "x-arr-log-id"
# What IIS's sign-on module sets (iis/RemoteUserHeaderModule.cs), having removed the client's own.
REMOTE_USER_HEADER = "x-remote-user"
# The hosting layer's own routes under the prefix, ahead of the app.
HEALTH, DIAGNOSTICS, DIAGNOSTICS_REDIRECT = "/health", "/_diagnostics", "/_diagnostics/redirect"
# The diagnostics' ?delay= hook (a request provably in flight, for stop tests) is capped here.
MAX_DELAY_SECONDS = 10.0
# A host and optional port links can be built from: DNS labels of 1 to 63 letters, digits and
# hyphens, 253 characters at most (RFC 1035 2.3.4; RFC 1123 2.1), or an IPv6 literal.
VALID_HOST = re.compile(r"(?=[^:]{1,253}(:|$))[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?"
                        r"(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*\.?(?::\d{1,5})?"
                        r"|\[[0-9A-Fa-f:.]+\](?::\d{1,5})?")


def one_hop(value: str | None) -> str | None:
    """The value the one trusted proxy appended: the last of a comma-separated list (IIS appends the
    client's address to any X-Forwarded-For the client sent; werkzeug's ProxyFix x_for=1 reads the same)."""
    if not value:
        return None
    return value.split(",")[-1].strip() or None


def original_host(value: str | None) -> str:
    """The Host links are built from, for a request from IIS: the client's, which IIS's rule sends as
    X-Original-Host on every request it forwards; none means the client sent none (HTTP/1.0; an empty
    value removes the header, docs/standin.md B21), and the Host IIS used to reach the app (app:port)
    is no stand-in for it: empty, which host_problem answers with 400."""
    return value or ""


def host_problem(path: str, host: str, allowed_hosts: list[str]) -> str | None:
    """Why a request must get 400 instead of links built from its Host, or None. The healthcheck is
    exempt: it has no public host name."""
    if path == HEALTH:
        return None
    if not VALID_HOST.fullmatch(host or ""):
        return "Missing or invalid host."
    if allowed_hosts and not host_is_trusted(host, allowed_hosts):
        return "Unknown host."
    return None


def request_id(arr_log_id: str | None, from_iis: bool) -> str:
    """ARR's GUID for a request from IIS, else one of its own. A client's X-Request-ID is not taken:
    IIS would pass it on unchanged, so it could be anything."""
    return (arr_log_id if from_iis else None) or str(uuid.uuid4())


def remote_user(values: list[str], from_iis: bool) -> str | None:
    """The signed-in user from the one trusted hop only; from anyone else no user at all. Two headers,
    or one with a comma (two joined: a Windows account name has no comma), are no user either: a
    client's copy that IIS failed to remove."""
    if not from_iis or len(values) != 1:
        return None
    user = values[0].strip()
    return user if user and "," not in user else None


def declared_length_refused(content_length: str | None, max_bytes: int) -> bool:
    """A declared body length that is not a number, or over the limit: 413 before the app runs."""
    return content_length is not None and content_length != "" and (
        not content_length.isdigit() or int(content_length) > max_bytes)


def hsts(scheme: str, seconds: int, header_names: list[str]) -> str | None:
    """The Strict-Transport-Security value to add to a response, or None: on HTTPS only (the
    client's scheme, from the one proxy), unless turned off or the app set its own."""
    if seconds <= 0 or scheme not in ("https", "wss"):
        return None
    if any(name.lower() == "strict-transport-security" for name in header_names):
        return None
    return f"max-age={seconds}"


def rescope_cookie(cookie: str, mount: str, https: bool) -> str:
    """A Set-Cookie value kept to the app's prefix and, over HTTPS, to HTTPS: Path=/ (most
    frameworks' default, meant for an app at the site root) becomes Path=<mount>, and a cookie set on
    an HTTPS response gets Secure. Other paths and attributes are left as the app set them."""
    parts = [p.strip() for p in cookie.split(";")]
    names = [p.split("=", 1)[0].strip().lower() for p in parts[1:]]
    for i, name in enumerate(names, start=1):
        if name == "path" and parts[i].split("=", 1)[-1].strip() in ("", "/"):
            parts[i] = f"Path={mount}"
    if "path" not in names:
        parts.append(f"Path={mount}")
    if https and "secure" not in names:
        parts.append("Secure")
    return "; ".join(parts)


def mounted_path(path: str, mount: str) -> str | None:
    """The path below the prefix (the original post's DispatcherMiddleware: the mount itself, or the
    mount and a slash), or None for a path outside it, which gets 404."""
    if path == mount or path.startswith(mount + "/"):
        return path[len(mount):]
    return None


def delay_seconds(value: str | None) -> float:
    try:
        return max(0.0, min(float(value or 0), MAX_DELAY_SECONDS))
    except ValueError:
        return 0.0


def access_line(record: dict, client: str | None, host: str | None, duration: float) -> str:
    """One JSON line of the access log (stdout at info), the same for both interfaces."""
    record = {**record, "client": client, "host": host, "duration_ms": round(duration * 1000, 1),
              "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds")}
    return json.dumps(record) + "\n"


def write_line(line: str, out=None) -> None:
    out = out or sys.stdout
    out.write(line)  # one write per line: threads and tasks never interleave
    out.flush()


def diagnostics(*, remote_addr, remote_user, scheme, host, script_root, path, url, link, body: bytes,
                headers: dict, as_received: dict) -> dict:
    """What the app saw of a request after the trust step (the smoke tests read it; off by default)."""
    return dict(
        remote_addr=remote_addr, remote_user=remote_user, scheme=scheme, host=host,
        script_root=script_root, path=path, url=url, link=link,
        body_bytes=len(body), body_sha256=hashlib.sha256(body).hexdigest(), headers=headers,
        # The hop as received, before the trusted-proxy step rewrote it (empty for direct clients).
        as_received=as_received,
        # Which container answered: a swarm's replicas each have their own host name.
        server=socket.gethostname(),
        # Which process answered: the workers share one address (app/server/workers.py).
        process=os.getpid(),
    )


def to_json(value) -> bytes:
    return (json.dumps(value) + "\n").encode()
