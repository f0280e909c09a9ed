"""IIS's time span, as its configuration schema types attributes such as the proxy's timeout and
clientCache's cacheControlMaxAge: .NET's TimeSpan in its constant format, [-][d.]hh:mm:ss[.fffffff],
with hours 0-23 and minutes and seconds 0-59 (Microsoft, "Standard TimeSpan format strings", "c").
The app reads PROXY_TIMEOUT with it and the stand-in every time-span attribute, so both agree."""
from __future__ import annotations

import re

TIMESPAN = re.compile(r"(-)?(?:(\d{1,8})\.)?([01]?\d|2[0-3]):([0-5]\d):([0-5]\d)(?:\.(\d{1,7}))?")


def parse_timespan(raw: str) -> float | None:
    """Seconds (negative for a negative span), or None when raw is not a time span."""
    m = TIMESPAN.fullmatch(raw)
    if not m:
        return None
    sign, days, hours, minutes, seconds, fraction = m.groups()
    total = int(days or 0) * 86400 + int(hours) * 3600 + int(minutes) * 60 + int(seconds)
    total += int(fraction) / 10 ** len(fraction) if fraction else 0
    return -total if sign else total
