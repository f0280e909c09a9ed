"""The compose files: valid against the Compose Specification, accepted by the compose CLI, and
the two stacks alike in everything but the platform."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import ENV_EXAMPLE, ROOT

CHECK_JSONSCHEMA = str(Path(sys.executable).parent / "check-jsonschema")
STACKS = {"windows": ["docker-compose.yml"], "linux": ["docker-compose.linux.yml"]}
ALL_FILES = ["docker-compose.yml", "docker-compose.linux.yml", "docker-compose.https.yml"]


def schema_check(*paths):
    return subprocess.run([CHECK_JSONSCHEMA, "--builtin-schema", "vendor.compose-spec", *map(str, paths)],
                          capture_output=True, text=True, timeout=120)


def compose_config(files, *extra, env_file=ENV_EXAMPLE, cwd=ROOT):
    cmd = ["docker", "compose", "--env-file", str(env_file)]
    for f in files:
        cmd += ["-f", str(f)]
    return subprocess.run(cmd + ["config", *extra], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", ALL_FILES)
def test_compose_file_matches_the_compose_specification(name):
    result = schema_check(ROOT / name)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("stack", sorted(STACKS))
@pytest.mark.parametrize("https", [False, True])
def test_compose_cli_accepts_each_stack(stack, https):
    files = STACKS[stack] + (["docker-compose.https.yml"] if https else [])
    result = compose_config(files, "--quiet")
    assert result.returncode == 0, result.stderr


def test_broken_compose_file_is_refused(tmp_path):
    bad = tmp_path / "compose.yml"
    bad.write_text("services:\n  app:\n    image: x\n    restart: sometimes\n    portz: ['80:80']\n")
    assert schema_check(bad).returncode != 0
    result = compose_config([bad], "--quiet", cwd=tmp_path)
    assert result.returncode != 0 and "portz" in result.stderr


def test_missing_setting_fails_fast_with_a_message(tmp_path):
    env = tmp_path / ".env"
    env.write_text("\n".join(l for l in ENV_EXAMPLE.read_text().splitlines() if not l.startswith("APP_PORT=")))
    result = compose_config(["docker-compose.linux.yml"], "--quiet", env_file=env)
    assert result.returncode != 0 and "APP_PORT" in result.stderr


def config(files) -> dict:
    result = compose_config(files, "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_both_stacks_have_the_same_services_ports_and_settings():
    win, lin = config(STACKS["windows"]), config(STACKS["linux"])
    assert sorted(win["services"]) == sorted(lin["services"]) == ["app", "iis"]
    for service in ("app", "iis"):
        w, l = win["services"][service], lin["services"][service]
        assert w["environment"] == l["environment"]
        assert [(p["target"], p["published"]) for p in w.get("ports", [])] == \
               [(p["target"], p["published"]) for p in l.get("ports", [])]
        assert w.get("depends_on") == l.get("depends_on")
        assert w["networks"] == l["networks"]
    assert win["services"]["iis"]["depends_on"]["app"]["condition"] == "service_healthy"


def test_https_override_adds_secrets_only():
    plain, https = config(STACKS["linux"]), config(STACKS["linux"] + ["docker-compose.https.yml"])
    iis = https["services"]["iis"]
    assert sorted(s["source"] for s in iis["secrets"]) == ["tls_password", "tls_pfx"]
    iis.pop("secrets")
    assert iis == plain["services"]["iis"]
