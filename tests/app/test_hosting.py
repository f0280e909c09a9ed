"""The hosting layer around an app that is not the seed, and not even Flask: a plain WSGI callable
keeps /health, the diagnostics, one-hop trust, HSTS, cookie scope and the body limit."""
import io

import pytest

from app.config import from_env
from app.hosting.build import build
from tests.app.support import IIS, iis_client


@pytest.fixture
def hosted(env):
    settings = from_env({**env, "APP_MODULE": "tests.app.wsgi_apps:plain"})
    return settings, iis_client(build(settings))


def get(client, path, **kw):
    return client.get(path, environ_base={"REMOTE_ADDR": IIS}, **kw)


def test_the_app_is_mounted_at_the_prefix_and_the_hosting_routes_come_first(hosted):
    settings, client = hosted
    assert get(client, f"{settings.mount}/anything").text == f"{settings.mount}|/anything||"
    assert get(client, f"{settings.mount}/health").json == {"status": "ok"}
    assert get(client, f"{settings.mount}/_diagnostics").json["script_root"] == settings.mount
    assert get(client, "/anything").status_code == 404


def test_trust_and_links_come_from_the_one_proxy_hop(hosted):
    settings, client = hosted
    headers = {"X-Original-Host": "intranet.example", "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    seen = get(client, f"{settings.mount}/_diagnostics", headers=headers).json
    assert (seen["remote_addr"], seen["link"]) == ("203.0.113.9", f"https://intranet.example{settings.mount}/health")
    spoofed = client.get(f"{settings.mount}/_diagnostics", headers=headers, environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert spoofed.json["scheme"] == "http" and spoofed.json["remote_addr"] == "10.9.9.9"


def test_cookies_are_scoped_to_the_prefix_and_secure_over_https(hosted):
    settings, client = hosted
    plain = get(client, f"{settings.mount}/").headers.getlist("Set-Cookie")
    assert plain == [f"pref=1; Path={settings.mount}; HttpOnly", "scoped=1; Path=/myApp/area"]
    https = get(client, f"{settings.mount}/", headers={"X-Forwarded-Proto": "https"})
    assert https.headers.getlist("Set-Cookie") == [f"pref=1; Path={settings.mount}; HttpOnly; Secure",
                                                   "scoped=1; Path=/myApp/area; Secure"]
    assert https.headers["Strict-Transport-Security"] == f"max-age={settings.hsts_seconds}"


def test_a_chunked_body_reaches_the_app_whole_and_with_its_length(hosted):
    settings, client = hosted
    body = b"x" * (2 * 1024 * 1024 + 7)  # past the in-memory spool
    resp = client.post(f"{settings.mount}/up", input_stream=io.BytesIO(body),
                       headers={"Transfer-Encoding": "chunked"}, environ_base={"REMOTE_ADDR": IIS})
    _, _, rest = resp.data.partition(b"|/up|")
    length, _, echoed = rest.partition(b"|")
    assert (int(length), echoed == body) == (len(body), True)


@pytest.mark.parametrize("headers", [{"Content-Length": "11"}, {"Transfer-Encoding": "chunked"}])
def test_a_body_over_the_limit_is_413_before_the_app_runs(env, headers):
    settings = from_env({**env, "APP_MODULE": "tests.app.wsgi_apps:plain", "MAX_BODY_BYTES": "10"})
    resp = iis_client(build(settings)).post(f"{settings.mount}/up", input_stream=io.BytesIO(b"y" * 11), headers=headers,
                                        environ_base={"REMOTE_ADDR": IIS})
    assert resp.status_code == 413
    assert "Set-Cookie" not in resp.headers  # the app never ran


def test_an_unknown_host_is_400_when_hosts_are_listed_and_health_stays_open(env):
    settings = from_env({**env, "APP_MODULE": "tests.app.wsgi_apps:plain",
                         "APP_ALLOWED_HOSTS": "intranet.example, .corp.example"})
    client = iis_client(build(settings))

    def status(host, path="/x"):
        return client.get(f"{settings.mount}{path}", headers={"X-Original-Host": host},
                          environ_base={"REMOTE_ADDR": IIS}).status_code

    assert (status("intranet.example"), status("app.corp.example"), status("intranet.example:8443")) == (200, 200, 200)
    assert status('"><script>x') == 400 and status("evil.example") == 400
    assert status("evil.example", "/_diagnostics") == 400  # the hosting routes too, but for /health
    assert client.get(f"{settings.mount}/health", headers={"Host": "127.0.0.1:50100"}).status_code == 200


def test_a_bad_allowed_hosts_value_is_a_settings_error(env):
    from app.config import ConfigError

    with pytest.raises(ConfigError, match="APP_ALLOWED_HOSTS='ok.example,http://x' is invalid: comma-separated host names"):
        from_env({**env, "APP_ALLOWED_HOSTS": "ok.example,http://x"})


@pytest.mark.parametrize("remote,uses_arr_id", [(IIS, True), ("10.9.9.9", False)], ids=["from-iis", "direct"])
def test_one_json_line_per_request_with_arr_s_request_id(env, capsys, remote, uses_arr_id):
    import json

    settings = from_env({**env, "APP_MODULE": "tests.app.wsgi_apps:plain"})
    client = iis_client(build(settings))  # built now: it writes to pytest's captured stdout
    arr_id = "8bd0b6f6-2d67-4a4a-9e0b-3a6d3e8c1f10"
    resp = client.get(f"{settings.mount}/page?x=1", environ_base={"REMOTE_ADDR": remote},
                      headers={"X-ARR-LOG-ID": arr_id, "X-Forwarded-For": "203.0.113.9", "X-Request-ID": "mine"})
    resp.close()  # as a server does when the body is sent: the line is written then
    [line] = [json.loads(l) for l in capsys.readouterr().out.splitlines()]
    assert resp.headers["X-Request-ID"] == line["request_id"]
    assert (line["request_id"] == arr_id) is uses_arr_id and line["request_id"] != "mine"
    assert (line["method"], line["path"], line["query"], line["status"]) == ("GET", f"{settings.mount}/page", "x=1", 200)
    assert line["client"] == ("203.0.113.9" if uses_arr_id else remote)
    assert line["duration_ms"] >= 0 and line["time"].endswith("+00:00")


def test_no_access_log_above_info(env, capsys):
    settings = from_env({**env, "APP_MODULE": "tests.app.wsgi_apps:plain", "APP_LOG_LEVEL": "warning"})
    iis_client(build(settings)).get(f"{settings.mount}/page", environ_base={"REMOTE_ADDR": IIS}).close()
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("host,status", [
    ("intranet.example", 200), ("intranet.example:8443", 200), ("[::1]:8443", 200), ("build_01.corp", 200),
    ("a" * 63 + ".example", 200), ("a" * 64 + ".example", 400), ("a" * 10000 + ".example", 400),
    ("a..example", 400), ("", 400),
])
def test_a_host_no_link_can_be_built_from_is_400_and_health_stays_open(hosted, host, status):
    """Hostile clients (issue 19): a label over 63 characters made werkzeug fail deep in the app (a
    500 with a traceback), and an HTTP/1.0 request with no Host built links to "http:///"."""
    settings, client = hosted
    environ = {"REMOTE_ADDR": IIS, "HTTP_HOST": "app:50100"}
    headers = {"X-Original-Host": host}  # empty: what IIS sends for an HTTP/1.0 request without Host
    assert client.get(f"{settings.mount}/x", environ_base=environ, headers=headers).status_code == status
    assert client.get(f"{settings.mount}/health", environ_base=environ, headers=headers).status_code == 200
