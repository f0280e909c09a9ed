"""The hosting layer around an ASGI app (app/hosting/asgi.py), on the wire: a real uvicorn process
started by the launcher, requests from IIS's address and from a direct client. The same guarantees
as for a WSGI app (tests/app/test_hosting.py), from the same rules (app/hosting/rules.py)."""
import json

import pytest

from tests.app.support import IIS_LOOPBACK, wire

PLAIN = "tests.app.asgi_apps:plain"


@pytest.fixture
def asgi(app_server):
    s = app_server(APP_MODULE=PLAIN, IIS_ADDRESS=IIS_LOOPBACK, APP_DIAGNOSTICS="true", IIS_STATIC_FILES="false",
                   APP_ALLOWED_HOSTS="")
    return s


def seen(s, path="/x", **kw):
    status, headers, body = wire(s.port, kw.pop("method", "GET"), f"/{s.prefix}{path}", **kw)
    assert status == 200, (status, body)
    return json.loads(body), headers


def test_the_app_is_mounted_at_the_prefix_with_root_path_and_the_whole_path(asgi):
    app_saw, _ = seen(asgi, "/a/b")
    assert (app_saw["root_path"], app_saw["path"]) == (f"/{asgi.prefix}", f"/{asgi.prefix}/a/b")
    assert wire(asgi.port, "GET", "/elsewhere")[0] == 404
    assert wire(asgi.port, "GET", f"/{asgi.prefix}x/a")[0] == 404
    status, _, body = wire(asgi.port, "GET", f"/{asgi.prefix}/health")
    assert (status, json.loads(body)) == (200, {"status": "ok"})


def test_trust_and_links_come_from_the_one_proxy_hop(asgi):
    forwarded = {"X-Forwarded-For": "198.51.100.1, 203.0.113.9", "X-Forwarded-Proto": "https"}
    diag, _ = seen(asgi, "/_diagnostics", headers=forwarded, host="intranet.example")
    assert (diag["remote_addr"], diag["scheme"], diag["link"]) == (
        "203.0.113.9", "https", f"https://intranet.example/{asgi.prefix}/health")
    direct, _ = seen(asgi, "/_diagnostics", headers={**forwarded, "X-Original-Host": "evil.example"},
                     source="127.0.0.1")
    assert (direct["remote_addr"], direct["scheme"]) == ("127.0.0.1", "http")
    assert "X-Original-Host" not in direct["headers"] and "X-Forwarded-For" not in direct["headers"]


def test_a_request_from_iis_without_the_client_s_host_is_400_and_health_stays_open(asgi):
    assert wire(asgi.port, "GET", f"/{asgi.prefix}/x", host=None)[0] == 400
    assert wire(asgi.port, "GET", f"/{asgi.prefix}/x", host="a" * 64 + ".example")[0] == 400
    assert wire(asgi.port, "GET", f"/{asgi.prefix}/health", host=None)[0] == 200


def test_an_unknown_host_is_400_when_hosts_are_listed(app_server):
    s = app_server(APP_MODULE=PLAIN, IIS_ADDRESS=IIS_LOOPBACK, IIS_STATIC_FILES="false",
                   APP_ALLOWED_HOSTS="intranet.example")
    assert wire(s.port, "GET", f"/{s.prefix}/x", host="intranet.example")[0] == 200
    assert wire(s.port, "GET", f"/{s.prefix}/x", host="evil.example")[0] == 400


def test_cookies_are_scoped_to_the_prefix_and_secure_with_hsts_over_https(asgi):
    _, plain = seen(asgi)
    assert plain.get_all("set-cookie") == [f"pref=1; Path=/{asgi.prefix}; HttpOnly", "scoped=1; Path=/myApp/area"]
    assert plain["strict-transport-security"] is None
    _, https = seen(asgi, headers={"X-Forwarded-Proto": "https"})
    assert https.get_all("set-cookie") == [f"pref=1; Path=/{asgi.prefix}; HttpOnly; Secure",
                                           "scoped=1; Path=/myApp/area; Secure"]
    assert https["strict-transport-security"].startswith("max-age=")


def test_the_signed_in_user_comes_from_iis_only_and_never_twice(asgi):
    assert seen(asgi, headers={"X-Remote-User": "CORP\\alice"})[0]["user"] == "CORP\\alice"
    assert seen(asgi, headers={"X-Remote-User": "CORP\\alice"}, source="127.0.0.1")[0]["user"] is None
    assert seen(asgi, headers={"X-Remote-User": "mallory, CORP\\alice"})[0]["user"] is None


@pytest.mark.parametrize("chunked", [False, True], ids=["declared", "chunked"])
def test_a_body_over_the_limit_is_413_and_one_at_the_limit_reaches_the_app(app_server, chunked):
    s = app_server(APP_MODULE=PLAIN, IIS_ADDRESS=IIS_LOOPBACK, IIS_STATIC_FILES="false", MAX_BODY_BYTES="1000")

    def send(size):
        body = b"x" * size
        if chunked:
            body = iter([body[:500], body[500:]])  # http.client sends an iterable chunked
        return wire(s.port, "POST", f"/{s.prefix}/up", body=body)

    status, _, body = send(1000)
    assert (status, json.loads(body)["body_bytes"]) == (200, 1000)
    assert send(1001)[0] == 413


def test_one_json_line_per_request_with_arr_s_request_id(asgi):
    _, headers = seen(asgi, headers={"X-ARR-LOG-ID": "0f0e0d0c-aaaa-bbbb-cccc-000000000001"})
    assert headers["x-request-id"] == "0f0e0d0c-aaaa-bbbb-cccc-000000000001"
    _, direct = seen(asgi, headers={"X-ARR-LOG-ID": "0f0e0d0c-aaaa-bbbb-cccc-000000000002"}, source="127.0.0.1")
    assert direct["x-request-id"] != "0f0e0d0c-aaaa-bbbb-cccc-000000000002"
    lines = [json.loads(line) for line in asgi.log.read_text().splitlines() if line.startswith("{")]
    assert [(r["request_id"], r["status"], r["path"]) for r in lines[-2:]] == [
        ("0f0e0d0c-aaaa-bbbb-cccc-000000000001", 200, f"/{asgi.prefix}/x"),
        (direct["x-request-id"], 200, f"/{asgi.prefix}/x")]
