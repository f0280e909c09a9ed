"""PROXY_TIMEOUT is an IIS time span, read by the same rule the stand-in reads web.config with
(iisformat/timespan.py), tested against the same table (tests/timespans.py)."""
import pytest

from app.config import ConfigError, from_env
from tests.timespans import CASES


@pytest.mark.parametrize("text,seconds", CASES, ids=[c[0] or "empty" for c in CASES])
def test_proxy_timeout_follows_iis_time_span_format(env, text, seconds):
    env = {**env, "PROXY_TIMEOUT": text, "APP_TIMEOUT_SECONDS": "1"}
    if seconds is None:
        with pytest.raises(ConfigError, match="PROXY_TIMEOUT"):
            from_env(env)
    else:
        assert from_env(env).proxy_timeout == seconds


def test_a_negative_proxy_timeout_is_refused(env):
    with pytest.raises(ConfigError, match="PROXY_TIMEOUT='-00:02:00' is invalid"):
        from_env({**env, "PROXY_TIMEOUT": "-00:02:00"})
