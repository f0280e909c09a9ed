"""IIS's Dynamic IP Restrictions (system.webServer/security/dynamicIpSecurity, B80): per client
address, the requests in flight and the requests in the current interval; past either limit the
request is denied as denyAction says (403.501 for too many at once, 403.502 for too many in the
interval, with Forbidden), before any rule or ARR sees it.

Sources: Microsoft, "Dynamic IP Security <dynamicIpSecurity>" and its two children (attributes,
defaults), "Using Dynamic IP Restrictions" (the block lasts until the count drops; logging-only
mode), "HTTP status codes in IIS" (403.501, 403.502)."""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass

from .filtering import Rejection

# denyAction -> the status of a denial (AbortRequest: the connection dropped, no status).
DENY_STATUS = {"Unauthorized": 401, "Forbidden": 403, "NotFound": 404, "AbortRequest": 0}
REASONS = {501: "Forbidden: concurrent request rate limit reached.",
           502: "Forbidden: maximum request rate limit reached."}


@dataclass
class _Client:
    in_flight: int = 0
    window_start: float = 0.0
    in_window: int = 0


class DynamicIpRestrictions:
    def __init__(self, settings: dict):
        self.settings = settings
        self.clients: dict[str, _Client] = {}

    @property
    def enabled(self) -> bool:
        return self.settings["concurrent"]["enabled"] or self.settings["rate"]["enabled"]

    @contextmanager
    def request(self, address: str):
        """Around one request from address: yields None to go on, or the denial."""
        if not self.enabled:
            yield None
            return
        client = self.clients.setdefault(address, _Client())
        denial = self.check(client, time.monotonic())
        client.in_flight += 1
        try:
            yield denial
        finally:
            client.in_flight -= 1
            if client.in_flight == 0 and time.monotonic() - client.window_start > self.interval():
                self.clients.pop(address, None)  # nothing left to count: the table holds active clients only

    def interval(self) -> float:
        return self.settings["rate"]["requestIntervalInMilliseconds"] / 1000

    def check(self, client: _Client, now: float) -> Rejection | None:
        concurrent, rate = self.settings["concurrent"], self.settings["rate"]
        # [INFERRED] a fixed interval from a client's first request in it, denied requests counted:
        # the block lasts until the interval ends (Microsoft: "until the number of requests within a
        # time period drops below the configured limit").
        if now - client.window_start >= self.interval():
            client.window_start, client.in_window = now, 0
        client.in_window += 1
        if concurrent["enabled"] and client.in_flight >= concurrent["maxConcurrentRequests"]:
            return self.denial(501)
        if rate["enabled"] and client.in_window > rate["maxRequests"]:
            return self.denial(502)
        return None

    def denial(self, substatus: int) -> Rejection:
        return Rejection(DENY_STATUS[self.settings["denyAction"]], substatus, REASONS[substatus])
