"""Every app-server and app setting, read from the environment once.

No defaults here: .env.example defines each setting, so there is one source of truth.
All problems are reported together so a bad .env is fixed in one pass.
"""
from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass

from .loader import SPEC


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class Settings:
    prefix: str  # without slashes, e.g. "myApp"
    app_module: str  # the hosted WSGI app, "package.module:name" or "package.module:factory()"
    port: int
    workers: int
    threads: int
    timeout_seconds: int
    log_level: str
    diagnostics: bool
    # The one proxy hop: IIS's address, or on a swarm the private overlay network's subnet, which
    # only IIS and the app join (docker-stack*.yml; README: Scale out).
    trusted_proxy: ipaddress.IPv4Network | ipaddress.IPv6Network
    max_body_bytes: int
    hsts_seconds: int
    allowed_hosts: tuple[str, ...]  # empty: any Host; else werkzeug's host_is_trusted rules
    static_dir: str  # the app's static folder, relative to the project root (IIS serves a copy)
    iis_static_files: bool  # IIS serves /<prefix>/static/ (app/static_files.py checks the folder)

    @property
    def bind_address(self) -> str:
        """Loopback when IIS is on this machine (a bare server), every interface in a container."""
        return "127.0.0.1" if self.trusted_proxy.is_loopback else "0.0.0.0"

    def from_proxy(self, remote_addr: str | None) -> bool:
        try:
            return ipaddress.ip_address(remote_addr or "") in self.trusted_proxy
        except ValueError:
            return False

    @property
    def mount(self) -> str:
        return "/" + self.prefix


def _timespan_seconds(value: str) -> int:
    h, m, s = (int(p) for p in value.split(":"))
    return h * 3600 + m * 60 + s


def _address_or_network(value: str):
    """An address is a network of one; a network must be given exactly (no host bits set)."""
    return ipaddress.ip_network(value, strict=True)


def _host_list(raw: str, errors: list[str]) -> tuple[str, ...]:
    hosts = tuple(h.strip() for h in raw.split(",") if h.strip())
    bad = [h for h in hosts if not re.fullmatch(r"\.?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?", h)]
    if bad:
        errors.append(f"APP_ALLOWED_HOSTS has {', '.join(bad)}: host names, '.domain' for its subdomains, or IPs")
    return hosts


def from_env(environ=None) -> Settings:
    env = os.environ if environ is None else environ
    errors: list[str] = []

    def get(name, check, convert=str, hint=""):
        raw = env.get(name)
        if raw is None or raw == "":
            errors.append(f"{name} is not set (see .env.example)")
            return None
        try:
            value = convert(raw)
            if check(value):
                return value
        except ValueError:
            pass
        errors.append(f"{name}={raw!r} is invalid: {hint}")
        return None

    positive = lambda v: v > 0  # noqa: E731
    settings = dict(
        prefix=get("APP_PREFIX", lambda v: re.fullmatch(r"[A-Za-z0-9_-]+", v), hint="letters, digits, - and _ only"),
        app_module=get("APP_MODULE", lambda v: SPEC.fullmatch(v), hint="package.module:name or package.module:factory()"),
        port=get("APP_PORT", lambda v: 0 < v < 65536, int, "a TCP port"),
        workers=get("APP_WORKERS", positive, int, "a whole number above 0"),
        threads=get("APP_THREADS", positive, int, "a whole number above 0"),
        timeout_seconds=get("APP_TIMEOUT_SECONDS", positive, int, "seconds, above 0"),
        log_level=get("APP_LOG_LEVEL", lambda v: v in ("debug", "info", "warning", "error"), str.lower,
                      "debug, info, warning or error"),
        diagnostics=get("APP_DIAGNOSTICS", lambda v: v in ("true", "false"), str.lower, "true or false") == "true",
        trusted_proxy=get("IIS_ADDRESS", lambda v: v is not None, _address_or_network,
                          "the IP address of the IIS container, or on a swarm its network's subnet (a.b.c.0/24)"),
        max_body_bytes=get("MAX_BODY_BYTES", positive, int, "bytes, above 0"),
        hsts_seconds=get("APP_HSTS_SECONDS", lambda v: v >= 0, int, "seconds, 0 or more"),
        allowed_hosts=_host_list(env.get("APP_ALLOWED_HOSTS", ""), errors),
        static_dir=get("APP_STATIC_DIR", lambda v: re.fullmatch(r"[\w.-]+(/[\w.-]+)*", v) and ".." not in v.split("/"),
                       hint="a folder relative to the project root, written with /, e.g. app/static"),
        iis_static_files=get("IIS_STATIC_FILES", lambda v: v in ("true", "false"), str.lower, "true or false") == "true",
    )
    proxy_timeout = get("PROXY_TIMEOUT", lambda v: v > 0, _timespan_seconds, "hh:mm:ss")
    if proxy_timeout and settings["timeout_seconds"] and settings["timeout_seconds"] >= proxy_timeout:
        errors.append(f"APP_TIMEOUT_SECONDS ({settings['timeout_seconds']}) must be below PROXY_TIMEOUT "
                      f"({proxy_timeout} s), or IIS answers 502.3 while the app is still working")
    if errors:
        raise ConfigError("invalid settings:\n  " + "\n  ".join(errors))
    return Settings(**settings)
