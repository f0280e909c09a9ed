"""The `test` subcommand: no network, one JSON object, non-zero exit on configuration errors (B45)."""
import json
import subprocess
import sys

import pytest

from tests.paths import ROOT, SERVER_CONFIG, WEB_CONFIG


def standin(*args, env=None):
    return subprocess.run([sys.executable, "-m", "standin", *args], cwd=ROOT, capture_output=True, text=True,
                          env=env, timeout=60)


def test_B45_test_command_prints_trace_for_project_config(project_env, base_env):
    out = standin("test", "--web-config", str(WEB_CONFIG), "--settings", str(SERVER_CONFIG), "--expand-env",
                  "-H", "X-Forwarded-For: 1.2.3.4", f"http://example.test:8080/{project_env['APP_PREFIX'].upper()}/help?x=1",
                  env={**base_env, **project_env})
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    prefix, host, port = project_env["APP_PREFIX"], project_env["APP_HOST"], project_env["APP_PORT"]
    assert result["action"] == "proxy"
    assert result["url"] == f"http://{host}:{port}/{prefix}/help?x=1"
    assert result["request_headers_set"] == {"x-original-host": "example.test:8080", "x-forwarded-proto": "http"}
    assert [r["name"] for r in result["rules"]] == ["Redirect to HTTPS", "Static files from IIS", "Forward to Flask"]


def test_B45_test_command_exits_non_zero_on_unsupported_element(tmp_path, base_env):
    bad = tmp_path / "web.config"
    bad.write_text('<configuration><system.webServer><rewrite><outboundRules/></rewrite></system.webServer>'
                   '</configuration>')
    out = standin("test", "--web-config", str(bad), "http://h/", env=base_env)
    assert out.returncode == 2
    assert "outboundRules" in out.stderr and "web.config:1" in out.stderr


def test_B45_test_command_reports_filtering_rejections(tmp_path, base_env):
    web = tmp_path / "web.config"
    web.write_text("<configuration/>")
    out = standin("test", "--web-config", str(web), "http://h/a+b", env=base_env)
    assert json.loads(out.stdout)["substatus"] == 11


def test_content_length_reaches_server_variables_as_on_the_wire(tmp_path, base_env):
    web = tmp_path / "web.config"
    web.write_text('<configuration><system.webServer><rewrite><rules><rule name="len">'
                   '<match url=".*" /><action type="Rewrite" url="/len/{CONTENT_LENGTH}" /></rule>'
                   '</rules></rewrite></system.webServer></configuration>')
    out = standin("test", "--web-config", str(web), "--content-length", "10", "http://h/x", env=base_env)
    assert json.loads(out.stdout)["url"] == "/len/10", out.stdout + out.stderr


def test_https_if_present_follows_the_certificate_folder(tmp_path, project_env, base_env):
    """HTTPS when the mounted folder holds tls.pfx, HTTP only when it does not: the rule
    iis/Start-Iis.ps1 follows with C:\\certs (docs/windows.md W01)."""
    import ssl
    import urllib.request

    import trustme

    from tests.support import start_on_free_ports, stop, write_pfx

    ca = trustme.CA()
    certs = tmp_path / "certs"
    certs.mkdir()
    for present in (False, True):
        if present:
            write_pfx(ca, certs / "tls.pfx", "pw", "localhost")
            (certs / "tls-password.txt").write_text("pw\n")
        def on(http, https):
            return ([sys.executable, "-m", "standin", "serve", "--web-config", str(WEB_CONFIG), "--settings",
                     str(SERVER_CONFIG), "--expand-env", "--site-root", str(ROOT / "iis" / "wwwroot"),
                     "--listen", f"127.0.0.1:{http}", "--pfx", str(certs / "tls.pfx"),
                     "--pfx-password-file", str(certs / "tls-password.txt"), "--https-if-present",
                     f"127.0.0.1:{https}"], {**base_env, **project_env}, f"http://127.0.0.1:{http}/")

        proc, (http, https) = start_on_free_ports(on, tmp_path / f"standin-{present}.log", count=2)
        try:
            context = ssl.create_default_context(cafile=None)
            ca.configure_trust(context)
            url = f"https://localhost:{https}/"
            if present:
                with urllib.request.urlopen(url, context=context, timeout=5) as r:
                    assert r.status == 200
            else:
                with pytest.raises(OSError):
                    urllib.request.urlopen(url, context=context, timeout=5)
        finally:
            stop(proc)
