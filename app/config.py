"""Every app-server and app setting, read from the environment once.

No defaults here: .env.example defines each setting, so there is one source of truth.
All problems are reported together so a bad .env is fixed in one pass.
"""
from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass

from iisformat.timespan import parse_timespan

from .hosting.loader import SPEC


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class Settings:
    prefix: str  # without slashes, e.g. "myApp"
    app_module: str  # the hosted WSGI or ASGI app, "package.module:name" or "package.module:factory()"
    port: int
    server: str  # "waitress" or "gunicorn"
    workers: int
    threads: int
    connections: int  # open connections one worker process serves at once
    timeout_seconds: int
    log_level: str
    diagnostics: bool
    # IIS_ADDRESS, the one proxy hop: IIS's address, or on a swarm the private overlay network's
    # subnet, which only IIS and the app join (docker-stack*.yml; README: Scale out).
    iis_address: ipaddress.IPv4Network | ipaddress.IPv6Network
    max_body_bytes: int
    hsts_seconds: int
    allowed_hosts: tuple[str, ...]  # empty: any Host; else werkzeug's host_is_trusted rules
    static_dir: str  # the app's static folder, relative to the project root (IIS serves a copy)
    iis_static_files: bool  # IIS serves /<prefix>/static/ (app/hosting/static_files.py checks the folder)
    proxy_timeout: float  # seconds IIS waits for the app (PROXY_TIMEOUT, an IIS time span)

    @property
    def bind_address(self) -> str:
        """Loopback when IIS is on this machine (a bare server), every interface in a container."""
        return "127.0.0.1" if self.iis_address.is_loopback else "0.0.0.0"

    def from_iis(self, remote_addr: str | None) -> bool:
        try:
            return ipaddress.ip_address(remote_addr or "") in self.iis_address
        except ValueError:
            return False

    @property
    def mount(self) -> str:
        return "/" + self.prefix


# --- converters: each returns the value, or raises ValueError --------------------------------------

def _timespan_seconds(value: str) -> float:
    seconds = parse_timespan(value)
    if seconds is None or seconds <= 0:
        raise ValueError(value)
    return seconds


def _boolean(value: str) -> bool:
    if value.lower() not in ("true", "false"):
        raise ValueError(value)
    return value.lower() == "true"


def _whole(low: int, high: int | None = None):
    def convert(value: str) -> int:
        number = int(value)
        if number < low or (high is not None and number > high):
            raise ValueError(value)
        return number
    return convert


def _matching(pattern: re.Pattern, extra=lambda v: True):
    def convert(value: str) -> str:
        if not pattern.fullmatch(value) or not extra(value):
            raise ValueError(value)
        return value
    return convert


def _one_of(*choices: str):
    def convert(value: str) -> str:
        if value.lower() not in choices:
            raise ValueError(value)
        return value.lower()
    return convert


def _address_or_network(value: str):
    """An address is a network of one; a network must be given exactly (no host bits set)."""
    return ipaddress.ip_network(value, strict=True)


# A host name (".domain" for its subdomains) or an IP, each with an optional port.
ALLOWED_HOST = re.compile(r"\.?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")


def _host_list(value: str) -> tuple[str, ...]:
    hosts = tuple(h.strip() for h in value.split(",") if h.strip())
    if any(not ALLOWED_HOST.fullmatch(h) for h in hosts):
        raise ValueError(value)
    return hosts


# Every setting: (Settings field, environment variable, converter, what a valid value is). Required
# unless listed in OPTIONAL with the value an empty one means. Defaults live in .env.example only.
SETTINGS = [
    ("prefix", "APP_PREFIX", _matching(re.compile(r"[A-Za-z0-9_-]+")), "letters, digits, - and _ only"),
    ("app_module", "APP_MODULE", _matching(SPEC), "package.module:name or package.module:factory()"),
    ("port", "APP_PORT", _whole(1, 65535), "a TCP port"),
    ("server", "APP_SERVER", _one_of("waitress", "gunicorn"), "waitress or gunicorn (gunicorn on Linux only)"),
    ("workers", "APP_WORKERS", _whole(1), "a whole number above 0"),
    ("threads", "APP_THREADS", _whole(1), "a whole number above 0"),
    # Windows' select() takes 512 sockets a process: the connections, the listening socket and
    # waitress' trigger must fit, with room to spare (docs/windows.md W41).
    ("connections", "APP_CONNECTIONS", _whole(1, 500), "a whole number from 1 to 500"),
    ("timeout_seconds", "APP_TIMEOUT_SECONDS", _whole(1), "seconds, above 0"),
    ("log_level", "APP_LOG_LEVEL", _one_of("debug", "info", "warning", "error"), "debug, info, warning or error"),
    ("diagnostics", "APP_DIAGNOSTICS", _boolean, "true or false"),
    ("iis_address", "IIS_ADDRESS", _address_or_network,
     "the IP address of the IIS container, or on a swarm its network's subnet (a.b.c.0/24)"),
    ("max_body_bytes", "MAX_BODY_BYTES", _whole(1), "bytes, above 0"),
    ("hsts_seconds", "APP_HSTS_SECONDS", _whole(0), "seconds, 0 or more"),
    ("allowed_hosts", "APP_ALLOWED_HOSTS", _host_list,
     "comma-separated host names, '.domain' for its subdomains, or IPs, each with an optional :port"),
    ("static_dir", "APP_STATIC_DIR", _matching(re.compile(r"[\w.-]+(/[\w.-]+)*"), lambda v: ".." not in v.split("/")),
     "a folder relative to the project root, written with /, e.g. app/static"),
    ("iis_static_files", "IIS_STATIC_FILES", _boolean, "true or false"),
    ("proxy_timeout", "PROXY_TIMEOUT", _timespan_seconds, "an IIS time span above zero, [d.]hh:mm:ss (hours 0-23)"),
]
OPTIONAL = {"APP_ALLOWED_HOSTS": ()}


def server_problem(server: str | None) -> str | None:
    """The one rule on the app server for this OS, for APP_SERVER and app.server's --server alike."""
    if server == "gunicorn" and os.name == "nt":
        return "gunicorn does not run on Windows (gunicorn is POSIX-only): use waitress"
    return None


def from_env(environ=None) -> Settings:
    env = os.environ if environ is None else environ
    errors: list[str] = []
    values = {}
    for field_name, name, convert, hint in SETTINGS:
        raw = env.get(name, "")
        if raw == "" and name in OPTIONAL:
            values[field_name] = OPTIONAL[name]
        elif raw == "":
            errors.append(f"{name} is not set (see .env.example)")
        else:
            try:
                values[field_name] = convert(raw)
            except ValueError:
                errors.append(f"{name}={raw!r} is invalid: {hint}")
    app_timeout, proxy_timeout = values.get("timeout_seconds"), values.get("proxy_timeout")
    if app_timeout and proxy_timeout and app_timeout >= proxy_timeout:
        errors.append(f"APP_TIMEOUT_SECONDS ({app_timeout}) must be below PROXY_TIMEOUT "
                      f"({proxy_timeout:g} s), or IIS answers 502.3 while the app is still working")
    problem = server_problem(values.get("server"))
    if problem:
        errors.append(f"APP_SERVER={problem}")
    if errors:
        raise ConfigError("invalid settings:\n  " + "\n  ".join(errors))
    return Settings(**values)
