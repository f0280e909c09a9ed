"""The swarm stack files (README: Scale out): valid for `docker stack deploy`, the same settings as the
compose stacks, and the Windows one free of what Windows services cannot do. Linux's is deployed by
tests/swarm; Windows' is checked here only. Each rule is shown failing on a known-bad input."""
from __future__ import annotations

import re
import subprocess

import pytest

from tests.paths import ENV_EXAMPLE, ROOT, read_env_file
from tests.static.compose import STACKS, resolved, schema_check

STACK_FILES = {"windows": "docker-stack.yml", "linux": "docker-stack.linux.yml"}
HTTPS_FILES = {"windows": "docker-stack.https.yml", "linux": "docker-stack.linux.https.yml"}
COMPOSE_HEALTHCHECKS = {"windows": "docker-compose.yml", "linux": "docker-compose.linux.yml"}
START_IIS = ROOT / "iis" / "Start-Iis.ps1"
STANDIN = ROOT / "Dockerfile.iis-standin"


def certificate_folder(os_type: str) -> str:
    """Where each IIS image looks for the certificate folder."""
    if os_type == "windows":
        return re.search(r"\$certs = '([^']+)'", START_IIS.read_text())[1]
    return re.search(r'"--pfx", "([^"]+)/tls.pfx"', STANDIN.read_text())[1]


def stack_problems(stack: dict, compose: dict, os_type: str) -> list[str]:
    problems = []
    app, iis = stack["services"]["app"], stack["services"]["iis"]
    for name in ("app", "iis"):
        want = set(compose["services"][name]["environment"])
        got = set(stack["services"][name]["environment"])
        if want != got:
            problems.append(f"{name}: settings differ from the compose stack: {sorted(want ^ got)}")
        if stack["services"][name]["image"] != compose["services"][name]["image"]:
            problems.append(f"{name}: not the compose stack's image")
    if app["environment"].get("IIS_ADDRESS") != stack["networks"]["backend"]["ipam"]["config"][0]["subnet"]:
        problems.append("app: IIS_ADDRESS is not the private network's subnet (tasks have no fixed address)")
    deploy = app.get("deploy", {})
    if deploy.get("endpoint_mode") != "dnsrr":
        problems.append("app: not endpoint_mode dnsrr (a virtual IP needs IPVS; README: Scale out)")
    update = deploy.get("update_config", {})
    if update.get("order") != "start-first" or update.get("failure_action") != "rollback":
        problems.append("app: update_config is not start-first with rollback on failure")
    if app.get("ports"):
        problems.append("app: publishes a port, reachable from outside the trusted network")
    network = stack["networks"]["backend"]
    if network.get("driver") != "overlay" or network.get("attachable"):
        problems.append("backend: not a non-attachable overlay: other containers could send from its subnet")
    if any(service.get("secrets") for service in stack["services"].values()) or stack.get("secrets"):
        problems.append("secrets in the stack file: without TLS_CERT_DIR/tls.pfx it cannot deploy HTTP-only")
    for name, service in stack["services"].items():
        constraints = service.get("deploy", {}).get("placement", {}).get("constraints", [])
        if f"node.platform.os == {os_type}" not in constraints:
            problems.append(f"{name}: not placed on {os_type} nodes only (mixed-OS swarm; docs/windows.md W24)")
    if any(p.get("mode") != "host" for p in iis.get("ports", [])):
        problems.append("iis: ports not in host mode: the routing mesh hides the client's address")
    if os_type == "windows":
        for name, service in stack["services"].items():
            linux_only = [k for k in ("read_only", "sysctls", "tmpfs", "user") if k in service]
            linux_only += [v["target"] for v in service.get("volumes", []) if v.get("type") == "tmpfs"]
            if linux_only:
                problems.append(f"{name}: Linux-only {linux_only} (docs/windows.md W03)")
            if "isolation" not in service:
                problems.append(f"{name}: no isolation (WINDOWS_ISOLATION)")
            if service.get("deploy", {}).get("resources", {}).get("limits"):
                problems.append(f"{name}: resource limits without a sourced floor (docs/windows.md W23)")
    for name, service in stack["services"].items():
        want = compose["services"][name].get("healthcheck", {}).get("start_period")
        if service.get("healthcheck", {}).get("start_period") != want:
            problems.append(f"{name}: start period differs from the compose stack's ({want})")
    return problems


def https_problems(stack: dict, os_type: str) -> list[str]:
    """The HTTPS override: the certificate folder as two secrets, for iis only, where the image looks."""
    folder = certificate_folder(os_type)
    sep = "\\" if os_type == "windows" else "/"
    targets = sorted(s.get("target", "") for s in stack["services"]["iis"].get("secrets", []))
    problems = []
    if targets != [f"{folder}{sep}tls-password.txt", f"{folder}{sep}tls.pfx"]:
        problems.append(f"iis: secret targets {targets} are not where the image looks ({folder})")
    if stack["services"]["app"].get("secrets"):
        problems.append("app: has the certificate secrets")
    return problems


@pytest.mark.parametrize("os_type", sorted(STACK_FILES))
def test_each_stack_file_deploys_what_its_compose_stack_runs(os_type):
    stack = resolved(STACK_FILES[os_type])
    assert stack_problems(stack, resolved(*STACKS[os_type]), os_type) == []


@pytest.mark.parametrize("os_type", sorted(HTTPS_FILES))
def test_each_https_override_gives_iis_the_certificate_folder(os_type):
    assert https_problems(resolved(STACK_FILES[os_type], HTTPS_FILES[os_type]), os_type) == []


@pytest.mark.parametrize("os_type,break_it,problem", [
    ("linux", lambda s: s["services"]["iis"]["secrets"].pop(), "secret targets"),
    ("windows", lambda s: s["services"]["iis"]["secrets"][0].update(target="/certs/tls.pfx"), "secret targets"),
    ("windows", lambda s: s["services"]["app"].update(secrets=s["services"]["iis"]["secrets"]), "app: has"),
])
def test_a_broken_https_override_is_caught(os_type, break_it, problem):
    stack = resolved(STACK_FILES[os_type], HTTPS_FILES[os_type])
    break_it(stack)
    assert any(problem in p for p in https_problems(stack, os_type))


# The stack files as they stood at 6b698cf, before the second Windows reading (issue 15).
BEFORE_SECOND_READING = "6b698cf"


@pytest.mark.parametrize("os_type,problem", [
    ("linux", "secrets in the stack file"),
    ("windows", "secrets in the stack file"),
    ("linux", "not placed on linux nodes only"),
    ("windows", "not placed on windows nodes only"),
    ("windows", "resource limits"),
    ("windows", "iis: start period differs"),
])
def test_the_stack_files_before_the_second_windows_reading_are_caught(os_type, problem, tmp_path):
    old = subprocess.run(["git", "show", f"{BEFORE_SECOND_READING}:{STACK_FILES[os_type]}"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    (tmp_path / STACK_FILES[os_type]).write_text(old)
    stack = resolved(str(tmp_path / STACK_FILES[os_type]))
    assert any(problem in p for p in stack_problems(stack, resolved(*STACKS[os_type]), os_type))


@pytest.mark.parametrize("os_type,break_it,problem", [
    ("linux", lambda s: s["services"]["app"]["deploy"].pop("endpoint_mode"), "dnsrr"),
    ("linux", lambda s: s["services"]["app"]["environment"].pop("APP_STATIC_DIR"), "settings differ"),
    ("linux", lambda s: s["networks"]["backend"].update(attachable=True), "non-attachable"),
    ("linux", lambda s: s["services"]["app"]["environment"].update(IIS_ADDRESS="172.30.60.10"), "subnet"),
    ("windows", lambda s: s["services"]["iis"].update(read_only=True), "Linux-only"),
    ("windows", lambda s: s["services"]["app"]["deploy"]["update_config"].update(order="stop-first"), "start-first"),
    ("windows", lambda s: s["services"]["iis"]["deploy"].pop("placement"), "windows nodes only"),
    ("linux", lambda s: s["services"]["app"]["deploy"]["placement"].update(constraints=[]), "linux nodes only"),
    ("windows", lambda s: s["services"]["app"]["healthcheck"].update(start_period="5s"), "app: start period"),
])
def test_a_broken_stack_file_is_caught(os_type, break_it, problem):
    stack = resolved(STACK_FILES[os_type])
    break_it(stack)
    assert any(problem in p for p in stack_problems(stack, resolved(*STACKS[os_type]), os_type))


@pytest.mark.parametrize("files", [[STACK_FILES[o]] for o in sorted(STACK_FILES)]
                         + [[STACK_FILES[o], HTTPS_FILES[o]] for o in sorted(STACK_FILES)], ids=" + ".join)
def test_stack_files_match_the_compose_specification_and_stack_deploy_reads_them(files, tmp_path):
    result = schema_check(*(ROOT / name for name in files))
    assert result.returncode == 0, result.stdout + result.stderr
    # stack deploy's own loader (the docker CLI's), which reads the shell's environment, not .env.
    env = {**read_env_file(ENV_EXAMPLE), "PATH": "/usr/local/bin:/usr/bin:/bin", "TLS_CERT_DIR": str(tmp_path)}
    options = [arg for name in files for arg in ("--compose-file", name)]
    result = subprocess.run(["docker", "stack", "config", *options], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "replicas: 2" in result.stdout and "endpoint_mode: dnsrr" in result.stdout
    assert ("tls_pfx" in result.stdout) == (len(files) == 2)
