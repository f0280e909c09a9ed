"""Windows sign-on as the stand-in models it (docs/standin.md B76, B77): authentication per
<location> after the rules ran, HTTP Basic against a users file standing for Windows accounts,
IIS's 401 with its two challenges, and the sign-on module's header contract."""
import base64
import json
import subprocess
import sys

import pytest

from standin.config import ConfigError, load
from tests.paths import ROOT
from tests.standin.process import run_standin, seen
from tests.support import stop
from tests.wire import ASPNET_PATHS

# Anonymous off for the site, on again for the health path (and the start page the test harness polls):
# the project's server.config shape.
LOCATIONS = """
<location path=""><system.webServer><security><authentication>
  <anonymousAuthentication enabled="false" /><windowsAuthentication enabled="true" />
</authentication></security></system.webServer></location>
<location path="api/health"><system.webServer><security><authentication>
  <anonymousAuthentication enabled="true" />
</authentication></security></system.webServer></location>
<location path="iisstart.htm"><system.webServer><security><authentication>
  <anonymousAuthentication enabled="true" />
</authentication></security></system.webServer></location>"""
MODULE = '<modules><add name="RemoteUserHeader" type="RemoteUserHeaderModule" {extra}/></modules>'


ALICE = "CORP\\alice"


def basic(name, password):
    return "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()


@pytest.fixture
def signed(tmp_path, base_env, backend):
    users = tmp_path / "users"
    users.write_text("# test accounts\nCORP\\alice:wonderland\n")
    s = run_standin(tmp_path, base_env, backend, apphost=LOCATIONS, modules=MODULE.format(extra=""),
                    extra=["--users-file", str(users)])
    yield s
    stop(s.proc)


def test_B76_without_credentials_iis_challenges_with_negotiate_and_ntlm(signed):
    resp, body = signed.get("/api/x")
    assert resp.status == 401 and b"401.2" in body
    assert resp.headers.get_all("WWW-Authenticate") == ["Negotiate", "NTLM"]


def test_B76_wrong_credentials_are_401_1(signed):
    resp, body = signed.get("/api/x", headers={"Authorization": basic("CORP\\alice", "nope")})
    assert resp.status == 401 and b"401.1" in body


def test_B76_a_path_with_anonymous_on_needs_no_credentials(signed):
    resp, _ = signed.get("/api/health")
    assert resp.status == 200


def test_B77_the_signed_in_name_reaches_the_backend_and_a_clients_copy_never_does(signed):
    resp, body = signed.get("/api/x", headers={"Authorization": basic("CORP\\alice", "wonderland"),
                                               "X-Remote-User": "CORP\\mallory", "X_Remote_User": "CORP\\eve"})
    assert resp.status == 200
    headers = json.loads(body)["headers"]
    assert [v for k, v in headers if k.lower().replace("_", "-") == "x-remote-user"] == ["CORP\\alice"]


def test_B77_the_password_that_stands_for_the_handshake_never_reaches_the_backend(signed):
    """Issue 23: the model forwarded the user's Basic credentials, and the diagnostics echoed the
    password; IIS's Negotiate or NTLM carries a token, never a password."""
    resp, body = signed.get("/api/x", headers={"Authorization": basic("CORP\\alice", "wonderland")})
    assert resp.status == 200
    assert "authorization" not in seen(body)["headers"] and b"wonderland" not in body


def test_B77_anonymous_requests_carry_no_user_even_if_the_client_sends_one(signed):
    resp, body = signed.get("/api/health", headers={"X-Remote-User": "CORP\\mallory"})
    assert "x-remote-user" not in seen(body)["headers"]


def test_B77_a_module_with_the_managed_handler_precondition_never_runs_for_arr(tmp_path, base_env, backend):
    """ARR's handler is native: a module registered for managed handlers only is skipped."""
    users = tmp_path / "users"
    users.write_text("CORP\\alice:wonderland\n")
    s = run_standin(tmp_path, base_env, backend, apphost=LOCATIONS,
                    modules=MODULE.format(extra='preCondition="managedHandler" '), extra=["--users-file", str(users)])
    try:
        resp, body = s.get("/api/x", headers={"Authorization": basic("CORP\\alice", "wonderland"),
                                              "X-Remote-User": "CORP\\mallory"})
        assert seen(body)["headers"]["x-remote-user"] == "CORP\\mallory"  # passed on untouched: the danger
    finally:
        stop(s.proc)


def test_B77_only_the_sign_on_module_is_modelled(tmp_path):
    web = tmp_path / "web.config"
    web.write_text('<configuration><system.webServer><modules><add name="x" type="Other.Module" /></modules>'
                   "</system.webServer></configuration>")
    with pytest.raises(ConfigError, match="module type 'Other.Module' is not modelled"):
        load(web)


def test_B76_the_dry_run_shows_the_user_and_the_headers(tmp_path, base_env):
    server, web, users = tmp_path / "server.config", tmp_path / "web.config", tmp_path / "users"
    server.write_text(f"<configuration>{LOCATIONS}</configuration>")
    web.write_text("<configuration><system.webServer>" + MODULE.format(extra="") + "</system.webServer></configuration>")
    users.write_text("CORP\\alice:wonderland\n")
    out = subprocess.run([sys.executable, "-m", "standin", "test", "--web-config", str(web), "--settings", str(server),
                          "--users-file", str(users), "-H", "Authorization: " + basic(ALICE, "wonderland"),
                          "-H", "X_Remote_User: x", "http://h/page"], cwd=ROOT, env=base_env, capture_output=True,
                         text=True, timeout=60)
    auth = json.loads(out.stdout)["authentication"]
    assert (auth["user"], auth["windows"], auth["anonymous"], auth["status"]) == ("CORP\\alice", True, False, None)
    assert auth["request_headers_set"] == {"x-remote-user": "CORP\\alice"}
    assert auth["request_headers_removed"] == ["authorization", "x_remote_user"]


# Paths IIS passes on that ASP.NET's checks refuse (B79), below the test site's prefix.
ASPNET_REFUSES = [("/api" + path, refused) for _, path, refused, _ in ASPNET_PATHS]


def project_http_runtime() -> str:
    """The project's own <system.web> element, as iis/web.config has it."""
    from lxml import etree

    element = etree.parse(str(ROOT / "iis" / "web.config")).getroot().find("system.web")
    return etree.tostring(element, encoding="unicode")


@pytest.mark.parametrize("precondition", ["", 'preCondition="managedHandler" '], ids=["every-request", "managed-only"])
def test_B79_a_managed_module_brings_aspnet_checks_onto_proxied_requests(tmp_path, base_env, backend, precondition):
    s = run_standin(tmp_path, base_env, backend, modules=MODULE.format(extra=precondition))
    try:
        for path, refused in ASPNET_REFUSES:
            resp, body = s.get(path)
            expected = refused if precondition == "" else 200  # managedHandler: ASP.NET never sees ARR's requests
            assert resp.status == expected, (path, resp.status, body[:300])
        assert s.get("/api/plain")[0].status == 200
    finally:
        stop(s.proc)


def test_B79_the_project_web_config_relaxes_every_aspnet_check(tmp_path, base_env, backend):
    s = run_standin(tmp_path, base_env, backend, modules=MODULE.format(extra=""), system_web=project_http_runtime())
    try:
        for path, _ in ASPNET_REFUSES:
            resp, body = s.get(path)
            assert resp.status == 200, (path, resp.status, body[:300])
    finally:
        stop(s.proc)


def test_B79_system_web_belongs_in_the_site_web_config(tmp_path):
    server, web = tmp_path / "server.config", tmp_path / "web.config"
    server.write_text("<configuration><system.web><httpRuntime maxUrlLength=\"4096\" /></system.web></configuration>")
    web.write_text("<configuration />")
    with pytest.raises(ConfigError, match="belongs in the site's web.config"):
        load(web, server)
