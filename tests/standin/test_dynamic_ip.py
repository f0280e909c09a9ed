"""IIS's Dynamic IP Restrictions as the stand-in models them (docs/standin.md B80): per client
address, too many requests at once or in the interval are denied as denyAction says, before the
rules and ARR; other addresses go on."""
import http.client
import json
import threading
import urllib.request

import pytest

from standin.config import ConfigError, load
from tests.standin.process import run_standin
from tests.support import stop, wait_until

DIPR = ('<dynamicIpSecurity denyAction="{action}"><denyByConcurrentRequests enabled="true" maxConcurrentRequests="2" />'
        '<denyByRequestRate enabled="true" maxRequests="{rate}" requestIntervalInMilliseconds="{interval}" />'
        "</dynamicIpSecurity>")


@pytest.fixture
def limited(tmp_path, base_env, backend):
    started = []

    def start(action="Forbidden", rate=1000, interval=1000):
        s = run_standin(tmp_path, base_env, backend, security=DIPR.format(action=action, rate=rate, interval=interval))
        started.append(s)
        return s

    yield start
    for s in started:
        stop(s.proc)


def get_from(port: int, path: str, source: str = "127.0.0.1") -> tuple[int, bytes]:
    """A GET from a given loopback address (each address is a client of its own to IIS)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def slow_in_flight(backend: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{backend}/received", timeout=10) as r:
        return json.load(r)["slow_in_flight"]


def test_B80_a_client_past_its_concurrent_requests_is_403_501_and_others_go_on(limited, backend):
    s = limited()
    results = []
    slow = [threading.Thread(target=lambda: results.append(get_from(s.port, "/api/slow?s=1.5"))) for _ in range(2)]
    for thread in slow:
        thread.start()
    wait_until(lambda: slow_in_flight(backend) >= 2, 10, "two slow requests in flight")
    # Two in flight from 127.0.0.1: a third from it is denied, one from 127.0.0.2 is not.
    status, body = get_from(s.port, "/api/x")
    assert (status, b"403.501" in body) == (403, True), body[:300]
    assert get_from(s.port, "/api/x", source="127.0.0.2")[0] == 200
    for thread in slow:
        thread.join(30)
    assert [r[0] for r in results] == [200, 200]
    assert get_from(s.port, "/api/x")[0] == 200  # the block lasted while the count was over


def test_B80_a_client_past_its_rate_is_403_502_until_the_interval_ends(limited):
    s = limited(rate=5, interval=1500)
    client = "127.0.0.3"  # not the address that polled the stand-in as it started
    statuses = [get_from(s.port, "/api/x", client)[0] for _ in range(7)]
    assert statuses[:5] == [200] * 5 and statuses[5:] == [403, 403], statuses
    assert b"403.502" in get_from(s.port, "/api/x", client)[1]
    assert get_from(s.port, "/api/x", source="127.0.0.2")[0] == 200
    wait_until(lambda: get_from(s.port, "/api/x", client)[0] == 200, 5, "the interval to end", interval=0.2)


def test_B80_deny_action_abort_drops_the_connection(limited):
    s = limited(action="AbortRequest", rate=1, interval=60000)
    assert get_from(s.port, "/api/x", "127.0.0.3")[0] == 200
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        get_from(s.port, "/api/x", "127.0.0.3")


def test_B80_dynamic_ip_security_is_server_level_only(tmp_path):
    web = tmp_path / "web.config"
    web.write_text("<configuration><system.webServer><security>" + DIPR.format(action="Forbidden", rate=1, interval=1)
                   + "</security></system.webServer></configuration>")
    with pytest.raises(ConfigError, match="can only be set at server level"):
        load(web)
