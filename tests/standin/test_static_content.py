"""Static files served by the site itself: <staticContent> (docs/standin.md B75)."""
import sys

import pytest

from standin.config import ConfigError, load
from tests.support import start_on_free_ports, stop

WEB = """<configuration><system.webServer>
  <rewrite><rules>
    <rule name="static" stopProcessing="true"><match url="^app/static/(.+)$" /><action type="Rewrite" url="static/{{R:1}}" /></rule>
  </rules></rewrite>
  <staticContent>{static}</staticContent>
</system.webServer></configuration>"""

DECLARED = """
    <remove fileExtension=".js" /><mimeMap fileExtension=".js" mimeType="text/javascript" />
    <clientCache cacheControlMode="UseMaxAge" cacheControlMaxAge="1.02:00:00" />"""


def write_site(tmp_path, static):
    site = tmp_path / "site"
    (site / "static").mkdir(parents=True)
    (site / "web.config").write_text(WEB.format(static=static))
    (site / "iisstart.htm").write_text("start page")
    files = {"a.css": b"body{}", "a.js": b"let a;", "a.woff2": b"font", "README": b"no extension"}
    for name, data in files.items():
        (site / "static" / name).write_bytes(data)
    return site


@pytest.fixture
def site(tmp_path, base_env):
    """The stand-in serving a site with static files, no backend."""
    import http.client

    root = write_site(tmp_path, DECLARED)
    proc, [port] = start_on_free_ports(
        lambda port: ([sys.executable, "-m", "standin", "serve", "--web-config", str(root / "web.config"),
                       "--listen", f"127.0.0.1:{port}"], base_env, f"http://127.0.0.1:{port}/iisstart.htm"),
        tmp_path / "standin.log")

    def get(target, method="GET", headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request(method, target, headers=headers or {})
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        return resp, body

    yield get
    stop(proc)


def test_B75_a_mapped_file_is_served_with_its_type_and_the_client_cache_header(site):
    resp, body = site("/app/static/a.css?v=2")
    assert (resp.status, body) == (200, b"body{}")
    assert resp.getheader("Content-Type") == "text/css"
    assert resp.getheader("Cache-Control") == f"max-age={86400 + 2 * 3600}"
    assert resp.getheader("Server") == "Microsoft-IIS/10.0"
    assert resp.getheader("ETag") and resp.getheader("Last-Modified")
    resp, body = site("/app/static/a.js")
    assert (resp.status, body, resp.getheader("Content-Type")) == (200, b"let a;", "text/javascript")


def test_B75_a_conditional_request_for_an_unchanged_file_is_304(site):
    resp, _ = site("/app/static/a.css")
    resp, body = site("/app/static/a.css", headers={"If-None-Match": resp.getheader("ETag")})
    assert (resp.status, body) == (304, b"")


def test_B75_an_unmapped_extension_or_none_is_404_3(site):
    for name in ("a.woff2", "README"):
        resp, body = site(f"/app/static/{name}")
        assert resp.status == 404 and b"404.3" in body, name
        assert resp.getheader("Cache-Control") is None


def test_B75_a_missing_file_is_iis_404_without_the_cache_header(site):
    resp, body = site("/app/static/missing.css")
    assert resp.status == 404 and b"HTTP Error 404 - Not Found" in body
    assert resp.getheader("Cache-Control") is None


def test_B75_only_get_and_head(site):
    resp, body = site("/app/static/a.css", method="POST")
    assert resp.status == 405
    resp, body = site("/app/static/a.css", method="HEAD")
    assert (resp.status, body, resp.getheader("Content-Length")) == (200, b"", "6")


@pytest.mark.parametrize("static,message", [
    # IIS's default list may already map it: an add alone is a duplicate (500.19 on IIS).
    ('<mimeMap fileExtension=".js" mimeType="text/javascript" />', 'needs a <remove fileExtension=".js" />'),
    ('<mimeMap fileExtension=".css" mimeType="text/css" />', "duplicate <mimeMap> for '.css'"),
    ('<remove fileExtension="js" />', "must start with '.'"),
    ('<clientCache cacheControlMode="UseMaxAge" cacheControlMaxAge="one day" />', "[d.]hh:mm:ss"),
    ('<clientCache cacheControlCustom="public" />', "not modelled"),
])
def test_B75_mime_maps_that_could_be_duplicates_on_iis_are_refused(tmp_path, static, message):
    root = write_site(tmp_path, static)
    with pytest.raises(ConfigError) as err:
        load(root / "web.config")
    assert message in str(err.value)


def test_B75_clear_then_add_and_the_other_cache_modes(tmp_path):
    config = load(write_site(tmp_path, '<clear /><mimeMap fileExtension=".CSS" mimeType="text/css" />'
                                       '<clientCache cacheControlMode="DisableCache" />') / "web.config")
    assert config.mime_types == {".css": "text/css"}
    assert config.client_cache.mode == "DisableCache"
