"""End to end through the proxy, on whichever stack the engine runs (Linux stand-in or Windows IIS):
what the hosting layer and IIS guarantee whatever app is hosted. These probe the hosting layer's
own /health, so they run for every APP_MODULE, your own app included; test_seed_app.py and
test_notes_app.py check the apps themselves.

Every assertion is the same for both stacks; where Windows differs it is said why.
"""
import hashlib
import http.client
import ipaddress
import json
import time
import uuid

import requests

from iisformat.timespan import parse_timespan
from tests.paths import ROOT
from tests.support import http_ok, wait_until

FLASK_404 = "The requested URL was not found on the server"


def get(url, **kw):
    return requests.get(url, timeout=30, allow_redirects=False, **kw)


def test_site_root_stays_with_iis(base):
    r = get(f"{base}/")
    assert r.status_code == 200
    assert "Hello World" not in r.text and "IIS" in r.text


def test_prefix_lookalike_is_not_forwarded(base, prefix):
    r = get(f"{base}{prefix}X")
    assert r.status_code == 404
    assert FLASK_404 not in r.text  # IIS's 404, not Flask's


def test_outside_the_prefix_is_not_forwarded(base):
    r = get(f"{base}/help")
    assert r.status_code == 404 and FLASK_404 not in r.text


def test_what_the_app_sees_through_the_proxy(stack, base, prefix, s):
    # A client-supplied X-Forwarded-For must not become the client address: IIS appends the real one.
    r = get(f"{base}{prefix}/_diagnostics", headers={"X-Forwarded-For": "203.0.113.50"})
    seen = r.json()
    assert seen["host"] == f"localhost:{s['IIS_HTTP_PORT']}"  # from X-Original-Host
    assert seen["scheme"] == "http"
    assert seen["script_root"] == prefix
    assert seen["link"] == f"http://localhost:{s['IIS_HTTP_PORT']}{prefix}/health"
    client = ipaddress.ip_address(seen["remote_addr"])
    assert str(client) not in ("203.0.113.50", s["IIS_ADDRESS"])
    headers = seen["headers"]
    assert headers["X-Original-Host"] == f"localhost:{s['IIS_HTTP_PORT']}"
    assert headers["X-Forwarded-Proto"] == "http"
    assert headers["X-Forwarded-For"] == f"203.0.113.50, {client}"  # no client port (server.config)
    assert "X-Original-Url" in headers or "X-Original-URL" in headers
    received = seen["as_received"]
    assert received["REMOTE_ADDR"] == s["IIS_ADDRESS"]  # the one trusted hop
    assert received["HTTP_HOST"] == f"{s['APP_HOST']}:{s['APP_PORT']}"  # ARR's default: the backend's host


def test_absolute_redirect_keeps_the_original_host_and_prefix(base, prefix, s):
    r = get(f"{base}{prefix}/_diagnostics/redirect")
    assert r.status_code == 302
    assert r.headers["Location"] == f"http://localhost:{s['IIS_HTTP_PORT']}{prefix}/health"


def test_https_reaches_the_app_as_https(tls, prefix, s):
    url = f"https://localhost:{s['IIS_HTTPS_PORT']}{prefix}/_diagnostics"
    r = get(url, verify=tls["ca"])
    seen = r.json()
    assert seen["scheme"] == "https"
    assert seen["link"] == f"https://localhost:{s['IIS_HTTPS_PORT']}{prefix}/health"
    assert r.headers["Strict-Transport-Security"] == f"max-age={s['APP_HSTS_SECONDS']}"


def test_large_upload_arrives_whole(base, prefix):
    body = bytes(range(256)) * (20 * 1024 * 1024 // 256)  # 20 MB, under MAX_BODY_BYTES
    r = requests.post(f"{base}{prefix}/_diagnostics", data=body, timeout=120)
    assert r.status_code == 200
    assert (r.json()["body_bytes"], r.json()["body_sha256"]) == (len(body), hashlib.sha256(body).hexdigest())


def test_body_over_the_limit_is_refused_by_iis(s, prefix):
    conn = http.client.HTTPConnection("localhost", int(s["IIS_HTTP_PORT"]), timeout=30)
    conn.putrequest("POST", f"{prefix}/_diagnostics")
    conn.putheader("Content-Length", str(int(s["MAX_BODY_BYTES"]) + 1))
    conn.endheaders()
    resp = conn.getresponse()
    body = resp.read().decode(errors="replace")
    conn.close()
    assert resp.status == 404  # 404.13 from request filtering, before the app
    assert "Request Entity Too Large" not in body


def test_direct_client_cannot_spoof_forwarded_headers(stack, prefix, s):
    app = stack.address("app")
    r = get(f"http://{app}:{s['APP_PORT']}{prefix}/_diagnostics", headers={
        "X-Forwarded-For": "6.6.6.6", "X-Original-Host": "evil.example", "X-Forwarded-Proto": "https"})
    seen = r.json()
    assert seen["remote_addr"] != "6.6.6.6"
    assert seen["scheme"] == "http"
    assert seen["host"] == f"{app}:{s['APP_PORT']}"
    assert seen["as_received"] == {}  # the trusted-proxy step did not run


def test_logs_reach_docker_logs(stack, base, prefix):
    # The query marks this request apart from the healthchecks; W3C logs it in its own field.
    get(f"{base}{prefix}/health?from=smoke")
    # HTTP.sys writes IIS's W3C log in batches (README, Run it on Windows step 4); the stand-in at once.
    timeout = 120 if stack.os_type == "windows" else 15
    for service in ("app", "iis"):
        container = stack.container(service)
        wait_until(lambda c=container: "from=smoke" in c.logs().decode(errors="replace"), timeout,
                   f"{service}'s log to show the request", interval=0.5)


def iis_log_text(stack) -> str:
    """IIS's W3C log: on Windows its files (LogMonitor reshapes what it forwards to docker logs), on
    Linux the stand-in's output, which carries the same #Fields directive."""
    container = stack.container("iis")
    if stack.os_type == "windows":
        script = r"Get-ChildItem C:\inetpub\logs\LogFiles -Recurse -Filter *.log | Get-Content"
        return container.exec_run(["powershell", "-NoProfile", "-Command", script]).output.decode(errors="replace")
    return container.logs().decode(errors="replace")


def test_one_request_id_in_the_iis_log_and_the_app_log(stack, base, prefix):
    """ARR's GUID for the request: in the response (X-Request-ID), the app's JSON line, and the
    X-ARR-LOG-ID column of IIS's W3C log (a custom field, iis/server.config), read by its #Fields
    directive: on Windows this is what says whether IIS logs the header ARR adds (README)."""
    import uuid

    from tests import w3c

    marker = f"from=request-id-{uuid.uuid4().hex}"
    r = get(f"{base}{prefix}/health?{marker}")
    request_id = r.headers["X-Request-ID"]
    uuid.UUID(request_id)
    timeout = 120 if stack.os_type == "windows" else 15  # HTTP.sys batches IIS's log file
    app_log = stack.container("app")
    app_text = wait_until(lambda: next((line for line in app_log.logs().decode(errors="replace").splitlines()
                                        if request_id in line), None), timeout, "the app's log line", interval=0.5)
    record = wait_until(lambda: next((rec for rec in w3c.records(iis_log_text(stack))
                                      if marker in rec.get("cs-uri-query", "")), None),
                        timeout, f"IIS's log record of {marker}", interval=0.5)
    app_line = json.loads(app_text[app_text.index("{"):])
    assert (app_line["request_id"], app_line["query"], app_line["status"]) == (request_id, marker, 200)
    assert record.get("X-ARR-LOG-ID") == request_id, (
        f"IIS's X-ARR-LOG-ID column is {record.get('X-ARR-LOG-ID')!r}; the whole record: {record}")
    print(f"request {request_id} in both logs:\n  iis: {record}\n  app: {app_text}")


def test_logs_are_saved_before_teardown(stack, base, prefix, tmp_path):
    """The stack is gone once the suite ends; its logs must not be (the Windows workflow uploads them)."""
    get(f"{base}{prefix}/health?from=saved-logs")
    wait_until(lambda: "from=saved-logs" in stack.container("app").logs().decode(errors="replace"), 15,
               "the app to log the request", interval=0.5)
    saved = {p.name: p.read_text(encoding="utf-8") for p in stack.save_logs(tmp_path)}
    assert sorted(saved) == ["app.log", "iis.log"]
    assert "from=saved-logs" in saved["app.log"]
    assert '"Status": "running"' in saved["iis.log"]


def test_an_app_module_that_cannot_load_stops_the_container_unhealthy(stack):
    """The app image with a bad APP_MODULE: exit 2 with the reason, never a healthy container."""
    image = stack.config()["services"]["app"]["image"]
    env = {k: v for k, v in stack.settings.items() if k.startswith(("APP_", "IIS_", "PROXY_", "MAX_"))}
    env["APP_MODULE"] = "no_such_package.web:app"
    container = stack.client.containers.run(image, environment=env, detach=True)
    try:
        wait_until(lambda: container.reload() or container.status == "exited", 120, "the app container to exit",
                   interval=0.5)
        state = container.attrs["State"]
        logs = container.logs().decode(errors="replace")
        assert state["ExitCode"] == 2, logs
        assert "APP_MODULE='no_such_package.web:app': no module named 'no_such_package'" in logs
        assert state.get("Health", {}).get("Status") != "healthy"
    finally:
        container.remove(force=True)


def test_the_app_image_holds_the_hosting_layer_and_the_hosted_package_only(stack, s):
    """APP_SOURCE_DIR is copied beside app/; nothing else of the project (the examples) ships."""
    listing = stack.container("app").exec_run(["python", "-c", "import json, os; print(json.dumps(os.listdir('.')))"])
    top = set(json.loads(listing.output))
    assert {"app", "iisformat", s["APP_SOURCE_DIR"].split("/")[0]} <= top
    assert ("examples" in top) == s["APP_SOURCE_DIR"].startswith("examples"), top


def test_containers_do_not_run_as_root(stack):
    services = ["app", "iis"] if stack.os_type == "linux" else ["app"]  # IIS needs ContainerAdministrator
    for service in services:
        user = stack.container(service).attrs["Config"]["User"]
        assert user not in ("", "0", "root", "ContainerAdministrator"), f"{service} runs as {user!r}"


def test_app_down_is_a_prompt_502_and_the_chain_recovers(stack, s, base, prefix):
    app = stack.container("app")
    app.stop(timeout=20)
    try:
        started = time.monotonic()
        r = get(f"{base}{prefix}/health")
        assert r.status_code == 502  # 502.3 on IIS: ARR cannot connect
        assert FLASK_404 not in r.text
        # A remote client's error page names no backend and no error text (errorMode DetailedLocalOnly).
        assert f"{s['APP_HOST']}:{s['APP_PORT']}" not in r.text and "0x8007" not in r.text
        assert time.monotonic() - started < 10  # a refused connection is not a timeout
    finally:
        app.start()

    wait_until(lambda: http_ok(f"{base}{prefix}/health"), 120, "the proxy to reach the restarted app", interval=0.5)


RECREATE_BOUND = 30  # seconds; IIS's DNS Client would cache the old address for 600 s (docs/windows.md W07)


def test_app_recreated_is_found_again_quickly(stack, base, prefix):
    """A recreated backend gets a new address; the proxy must find it (field notes: stale upstream IPs)."""
    before, old_address = stack.container("app").id, stack.address("app")
    stack.compose("up", "--detach", "--no-build", "--no-deps", "--force-recreate", "app")
    assert stack.container("app").id != before
    started = time.monotonic()

    wait_until(lambda: http_ok(f"{base}{prefix}/health"), RECREATE_BOUND, "the proxy to reach the recreated app",
               interval=0.5)
    print(f"proxy reached the recreated app ({old_address} -> {stack.address('app')}) after "
          f"{time.monotonic() - started:.1f}s")


def test_one_address_past_its_concurrent_requests_is_refused_and_others_go_on(stack, s, base, prefix):
    """IIS's Dynamic IP Restrictions (docs/windows.md W42): from a second address (inside the app
    container), IIS_CLIENT_MAX_CONCURRENT + 10 uploads that stall: the ones past the limit are
    refused at once with 403 (403.501), the rest hold; meanwhile the host's own requests, from
    another address, are answered."""
    from tests.smoke.from_inside import hold_uploads

    limit = int(s["IIS_CLIENT_MAX_CONCURRENT"])
    lines = hold_uploads(stack.container("app"), s["APP_PREFIX"], limit + 10, hold=10)
    denied = next(line for line in lines if line.startswith("DENIED"))
    print(f"from inside the app container, {limit + 10} stalled uploads: {denied[:300]}")
    count, statuses = int(denied.split()[1]), denied.split("|")[0].split()[2:]
    assert count >= 10 and set(statuses) == {"403"}, denied
    assert "403.501" in denied or stack.os_type == "windows", denied  # IIS's detailed page is local-only
    r = get(f"{base}{prefix}/health")
    assert r.status_code == 200
    assert any(line == "DONE" for line in lines)


# Through the whole stack, the cases of tests/wire.py whose answer Microsoft or
# the RFCs fix: the Host that ended up in Location, a smuggling vector, oversized headers; and two
# that HTTP.sys passes on and the app refuses (a label no link can hold, an HTTP/1.0 request with
# no Host: 400, not a 500 or a link to "http:///").
WIRE_CASES = ("host-with-markup", "host-with-slash", "two-hosts", "no-host-http11", "length-and-chunked",
              "headers-over-maxrequestbytes", "host-long-label", "no-host-http10", "nul-hidden-by-dots", "http-0.9")


def test_hostile_requests_through_the_stack_get_400_and_leak_nothing(stack, s, base, prefix):
    from tests.wire import CASES, LEAKS, exchange

    cases = {c[0]: c[1] for c in CASES}
    for case in WIRE_CASES:
        raw = cases[case].replace(b"/api/x", f"{prefix}/".encode())  # the app: /health skips host checks
        reply = exchange(int(s["IIS_HTTP_PORT"]), raw)
        assert reply.split(b" ", 2)[1:2] == [b"400"], (case, reply[:200])
        assert not any(leak in reply for leak in LEAKS), (case, reply[:300])
    assert http_ok(f"{base}{prefix}/health")


def test_as_many_header_lines_as_http_sys_takes_reach_the_app(s, prefix):
    """150 short header lines, and 1,700 compact ones (15,300 bytes): within HTTP.sys's
    MaxRequestBytes, so through IIS to the app, which must take them too (gunicorn's own default of
    100 lines would answer 431)."""
    from tests.wire import CASES, exchange

    for case in ("many-header-lines", "compact-header-lines"):
        raw = dict((c[0], c[1]) for c in CASES)[case].replace(b"/api/x", f"{prefix}/health".encode())
        assert exchange(int(s["IIS_HTTP_PORT"]), raw).split(b" ", 2)[1:2] == [b"200"], case


# --- static files (iis/web.config "Static files from IIS"; README: Static files from IIS) ---------

def app_log_lines(stack) -> list[str]:
    return stack.container("app").logs().decode(errors="replace").splitlines()


def test_static_files_come_from_iis_not_the_app(stack, base, prefix, s):
    """A file of the app's static folder through the proxy: its bytes, IIS's cache header, and no
    line for it in the app's log (a control request that does reach the app shows the log is read)."""
    folder = ROOT / s["APP_STATIC_DIR"]
    sample = sorted(p for p in folder.rglob("*") if p.is_file())[0]
    marker = uuid.uuid4().hex
    r = get(f"{base}{prefix}/static/{sample.relative_to(folder).as_posix()}?probe={marker}")
    assert r.status_code == 200 and r.content == sample.read_bytes()
    control = uuid.uuid4().hex
    assert get(f"{base}{prefix}/health?probe={control}").headers["X-Request-ID"]
    wait_until(lambda: any(control in line for line in app_log_lines(stack)), 15, "the app's log to show the control")
    served_by_app = any(marker in line for line in app_log_lines(stack))
    if s["IIS_STATIC_FILES"] == "true":
        assert not served_by_app and "X-Request-ID" not in r.headers
        assert r.headers["Cache-Control"] == f"max-age={int(parse_timespan(s['STATIC_CACHE_MAX_AGE']))}"
        etag = r.headers["ETag"]
        again = get(f"{base}{prefix}/static/{sample.relative_to(folder).as_posix()}", headers={"If-None-Match": etag})
        assert again.status_code == 304
    else:
        assert served_by_app


def test_a_missing_static_file_is_iis_404_not_the_apps(base, prefix, s):
    missing = get(f"{base}{prefix}/static/no-such-file-{uuid.uuid4().hex}.css")
    # The control: a missing page outside static/ is the app's 404, which carries X-Request-ID.
    app_404 = get(f"{base}{prefix}/no-such-page-{uuid.uuid4().hex}")
    assert missing.status_code == app_404.status_code == 404
    assert "X-Request-ID" in app_404.headers
    assert ("X-Request-ID" not in missing.headers) == (s["IIS_STATIC_FILES"] == "true")


def test_paths_aspnet_would_refuse_reach_the_app(base, prefix):
    """The sign-on module brings ASP.NET's path checks onto every request, sign-on on or off;
    web.config relaxes them, so these reach the app (docs/windows.md W38). The same table runs signed
    in (tests/smoke/test_sign_on.py)."""
    from tests.wire import ASPNET_PATHS

    for case, path, _, _ in ASPNET_PATHS:
        r = get(f"{base}{prefix}{path}")
        assert "X-Request-ID" in r.headers, (case, r.status_code, r.text[:300])  # the hosting layer answered
