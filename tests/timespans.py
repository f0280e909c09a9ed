"""IIS time spans, valid and not, as a table both sides are tested against: the app's PROXY_TIMEOUT
(tests/app/test_timespans.py) and the stand-in's time-span attributes (tests/standin/test_config.py).
The format is .NET's TimeSpan constant format, [-][d.]hh:mm:ss[.fffffff] (Microsoft, "Standard
TimeSpan format strings"), in which IIS's configuration reference writes every default."""

# (text, seconds, or None where it is not a time span)
CASES = [
    ("00:02:00", 120),  # the proxy's default timeout
    ("01:00:00", 3600),
    ("1.00:00:00", 86400),  # clientCache's default cacheControlMaxAge
    ("2.03:04:05", 2 * 86400 + 3 * 3600 + 4 * 60 + 5),
    ("0:00:30", 30),
    ("23:59:59", 86399),
    ("00:00:30.5", 30.5),
    ("100:00:00", None),  # hours run 0-23; days come before a dot
    ("24:00:00", None),
    ("00:60:00", None),
    ("00:00:60", None),
    ("00:30", None),  # IIS writes every value in full
    ("30", None),
    ("1:00:00:00", None),
    ("abc", None),
    ("", None),
]
