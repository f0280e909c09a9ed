"""Windows sign-on through the whole stack (README: Windows sign-on), for any hosted app: run with
IIS_ALLOW_ANONYMOUS=false (scripts/test's last smoke run; the Windows workflow's sign-on step).
Without credentials IIS challenges; signed in, the app gets the user as REMOTE_USER and never a
name a client wrote; the health path stays open for the healthchecks."""
import json

import requests

from tests.smoke import sign_on

SIGN_ON = True


def test_without_credentials_iis_challenges_with_negotiate_and_ntlm(base, prefix):
    r = requests.get(f"{base}{prefix}/", timeout=30)
    assert r.status_code == 401
    challenges = [v.strip() for v in r.headers.get("WWW-Authenticate", "").split(",")]
    assert challenges[:2] == ["Negotiate", "NTLM"], r.headers


def test_the_health_path_stays_anonymous_for_the_healthchecks(stack, base, prefix):
    """IIS's own healthcheck passes however IIS applies the health path's <location> to ARR's
    rewritten URL; its last probe says how it got in (docs/windows.md W39). From outside, the
    README's promise: the path answers anonymously."""
    iis = stack.container("iis")
    iis.reload()
    health = iis.attrs["State"]["Health"]
    print(f"iis healthcheck, last probe: {health['Log'][-1]['Output'].strip() or '(no output)'}")
    r = requests.get(f"{base}{prefix}/health", timeout=30)
    assert (r.status_code, r.json()) == (200, {"status": "ok"})
    assert health["Status"] == "healthy"


def test_the_signed_in_user_reaches_the_app_as_remote_user(stack, base, prefix):
    reply = sign_on.get(stack.os_type, f"{base}{prefix}/_diagnostics")
    assert reply.status == 200, reply.body
    seen = json.loads(reply.body)
    assert sign_on.user_name_matches(seen["remote_user"]), seen["remote_user"]
    assert sign_on.PASSWORD not in reply.body  # a token may pass (Negotiate, NTLM), a password never
    assert not any(k.lower().replace("_", "-") == "x-remote-user" for k in seen["headers"]), seen["headers"]


def test_a_name_the_client_writes_never_reaches_the_app(stack, base, prefix):
    forged = {"X-Remote-User": "CORP\\administrator", "X_Remote_User": "CORP\\administrator"}
    reply = sign_on.get(stack.os_type, f"{base}{prefix}/_diagnostics", headers=forged)
    assert reply.status == 200, reply.body
    assert sign_on.user_name_matches(json.loads(reply.body)["remote_user"])
    assert requests.get(f"{base}{prefix}/_diagnostics", headers=forged, timeout=30).status_code == 401


def test_static_files_are_behind_the_same_sign_on(stack, base, prefix, s):
    """The app's static files are its own: served by IIS, but to signed-in users only."""
    from tests.paths import ROOT

    folder = ROOT / s["APP_STATIC_DIR"]
    sample = sorted(p for p in folder.rglob("*") if p.is_file())[0].relative_to(folder).as_posix()
    assert requests.get(f"{base}{prefix}/static/{sample}", timeout=30).status_code == 401
    assert sign_on.get(stack.os_type, f"{base}{prefix}/static/{sample}").status == 200


def test_paths_aspnet_would_refuse_reach_the_app_signed_in(stack, base, prefix):
    """As tests/smoke/test_stack.py's, signed in: the URLs that reach the app do not depend on
    the sign-on setting (docs/windows.md W38)."""
    from tests.wire import ASPNET_PATHS

    for case, path, _, _ in ASPNET_PATHS:
        reply = sign_on.get(stack.os_type, f"{base}{prefix}{path}")
        assert "x-request-id" in reply.headers, (case, reply.status, reply.body[:300])
