"""IIS's time span, [d.]hh:mm:ss, in seconds: configuration attributes such as the proxy's timeout
and clientCache's cacheControlMaxAge. Dependency-free, so the smoke suite reads settings with it too."""
from __future__ import annotations

import re

TIMESPAN = re.compile(r"(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})")


def parse_timespan(raw: str) -> int | None:
    """Seconds, or None when raw is not a time span."""
    m = TIMESPAN.fullmatch(raw)
    if not m:
        return None
    d, h, mi, s = (int(g or 0) for g in m.groups())
    return d * 86400 + h * 3600 + mi * 60 + s
