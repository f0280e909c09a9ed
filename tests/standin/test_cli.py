"""The `test` subcommand: no network, one JSON object, non-zero exit on configuration errors (B45)."""
import json
import subprocess
import sys

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
    assert [r["name"] for r in result["rules"]] == ["Redirect to HTTPS", "Forward to Flask"]


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
