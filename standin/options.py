"""What a stand-in server is built from, in one object: the loaded configuration, the site's
folder, HTTP.sys's connection timers and the HTTPS certificate. Every default is stated here once
(the command line takes its defaults from these)."""
from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from pathlib import Path

from .model import Config


@dataclass(frozen=True)
class Timeouts:
    """HTTP.sys's connection timers, in seconds (B70). Defaults: HTTP.sys's own, 120 s each
    (HTTP Server API timeouts; IIS changes them with system.applicationHost/webLimits, which the
    stand-in does not read: its command line sets them)."""
    header_wait: float = 120.0  # a connection's request headers must be complete by then
    idle_connection: float = 120.0  # a kept-alive connection with no request is closed
    entity_body: float = 120.0  # longest wait for the next piece of a request body
    min_send_rate: float = 150.0  # bytes/s: a client reading a response slower than this is cut off


@dataclass(frozen=True)
class Options:
    config: Config
    site_root: Path
    timeouts: Timeouts = Timeouts()
    # The certificate's context and ARR's description of it (X-ARR-SSL), when HTTPS is served.
    tls: tuple[ssl.SSLContext, str] | None = None
    # The names and passwords that stand for Windows accounts (standin/authentication.py).
    users: dict[str, str] = field(default_factory=dict)

    @property
    def ssl_description(self) -> str:
        return self.tls[1] if self.tls else ""
