"""The swarm stack files (README: Scale out): valid for `docker stack deploy`, the same settings as the
compose stacks, and the Windows one free of what Windows services cannot do. Linux's is deployed by
tests/swarm; Windows' is checked here only. Each rule is shown failing on a known-bad input."""
from __future__ import annotations

import re
import subprocess

import pytest

from tests.paths import ENV_EXAMPLE, ROOT, read_env_file
from tests.static.test_compose import STACKS, schema_check
from tests.static.test_windows_compose import resolved

STACK_FILES = {"windows": "docker-stack.yml", "linux": "docker-stack.linux.yml"}
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
    folder = certificate_folder(os_type)
    sep = "\\" if os_type == "windows" else "/"
    targets = sorted(s.get("target", "") for s in iis.get("secrets", []))
    if targets != [f"{folder}{sep}tls-password.txt", f"{folder}{sep}tls.pfx"]:
        problems.append(f"iis: secret targets {targets} are not where the image looks ({folder})")
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
    return problems


@pytest.mark.parametrize("os_type", sorted(STACK_FILES))
def test_each_stack_file_deploys_what_its_compose_stack_runs(os_type):
    stack = resolved(STACK_FILES[os_type])
    assert stack_problems(stack, resolved(*STACKS[os_type]), os_type) == []


@pytest.mark.parametrize("os_type,break_it,problem", [
    ("linux", lambda s: s["services"]["app"]["deploy"].pop("endpoint_mode"), "dnsrr"),
    ("linux", lambda s: s["services"]["app"]["environment"].pop("APP_STATIC_DIR"), "settings differ"),
    ("linux", lambda s: s["networks"]["backend"].update(attachable=True), "non-attachable"),
    ("linux", lambda s: s["services"]["app"]["environment"].update(IIS_ADDRESS="172.30.60.10"), "subnet"),
    ("windows", lambda s: s["services"]["iis"].update(read_only=True), "Linux-only"),
    ("windows", lambda s: s["services"]["iis"]["secrets"][0].update(target="/certs/tls.pfx"), "secret targets"),
    ("windows", lambda s: s["services"]["app"]["deploy"]["update_config"].update(order="stop-first"), "start-first"),
])
def test_a_broken_stack_file_is_caught(os_type, break_it, problem):
    stack = resolved(STACK_FILES[os_type])
    break_it(stack)
    assert any(problem in p for p in stack_problems(stack, resolved(*STACKS[os_type]), os_type))


@pytest.mark.parametrize("name", sorted(STACK_FILES.values()))
def test_stack_files_match_the_compose_specification_and_stack_deploy_reads_them(name, tmp_path):
    result = schema_check(ROOT / name)
    assert result.returncode == 0, result.stdout + result.stderr
    # stack deploy's own loader (the docker CLI's), which reads the shell's environment, not .env.
    env = {**read_env_file(ENV_EXAMPLE), "PATH": "/usr/local/bin:/usr/bin:/bin", "TLS_CERT_DIR": str(tmp_path)}
    result = subprocess.run(["docker", "stack", "config", "--compose-file", name], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "replicas: 2" in result.stdout and "endpoint_mode: dnsrr" in result.stdout
