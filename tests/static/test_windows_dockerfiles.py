"""The Windows image build, read instruction by instruction (docs/windows.md): Dockerfile.iis, and
Dockerfile.app as Windows builds it. Each rule is shown failing on a known-bad input."""
from __future__ import annotations

import json
import re

import pytest

from tests.paths import ROOT
from tests.static.compose import STACKS, config
from tests.static.dockerfile import instructions

IIS = ROOT / "Dockerfile.iis"
APP = ROOT / "Dockerfile.app"
START = ROOT / "iis" / "Start-Iis.ps1"
DNS_KEY = r"HKLM:\SYSTEM\CurrentControlSet\Services\Dnscache\Parameters"
HTTP_KEY = r"HKLM:\SYSTEM\CurrentControlSet\Services\HTTP\Parameters"
# Registry values the IIS image sets: (key, name, allowed values, what goes wrong without them).
REGISTRY = [
    (DNS_KEY, "MaxCacheTtl", "[01]", "ARR keeps a recreated app's old address"),
    (DNS_KEY, "MaxNegativeCacheTtl", "[01]", "ARR keeps a recreated app's old address"),
    (HTTP_KEY, "DisableServerHeader", "2", "HTTP.sys's own answers say Server: Microsoft-HTTPAPI/2.0"),
]
# The Windows engine builds with the classic builder: BuildKit-only syntax fails there.
BUILDKIT_ONLY = re.compile(r"^(RUN|COPY|ADD)\s+--(mount|network|security|chmod|link|parents|exclude|checksum)\b"
                           r"|<<-?\s*['\"]?\w+|^#\s*syntax=", re.MULTILINE)


def health_script(health: str, scripts: dict[str, str] | None) -> str | None:
    """The healthcheck's PowerShell: its -Command text, or the script it runs with -File (from iis/,
    where COPY takes it), or None when the script is not copied into the image."""
    args = json.loads(health[health.index("["):])
    if "-File" not in args:
        return args[-1]
    name = args[args.index("-File") + 1].rsplit("\\", 1)[-1]
    if scripts is None:
        path = ROOT / "iis" / name
        return path.read_text() if path.exists() else None
    return scripts.get(name)


def iis_problems(text: str, scripts: dict[str, str] | None = None) -> list[str]:
    problems = []
    if not text.startswith("# escape=`\n"):
        problems.append("no `# escape=`` first: Windows paths would be read as escapes")
    steps = instructions(text)
    if BUILDKIT_ONLY.search(text):
        problems.append("BuildKit-only syntax (the Windows engine builds with the classic builder)")
    shells = [v for k, v in steps if k == "SHELL"]
    if not shells or "$ErrorActionPreference = 'Stop'" not in shells[0] or json.loads(shells[0])[0] != "powershell":
        problems.append("SHELL is not PowerShell with $ErrorActionPreference = 'Stop'")
    for kind, value in steps:
        if kind == "RUN" and re.search(r"(^|[;&|]\s*)msiexec\b", value, re.IGNORECASE):
            problems.append(f"RUN {value[:40]}: a bare msiexec returns before the install ends")
    health = [v for k, v in steps if k == "HEALTHCHECK"]
    if not health or "CMD [" not in health[0]:
        problems.append("HEALTHCHECK is not in exec form")
    else:
        script = health_script(health[0], scripts)
        copied = [v for k, v in steps if k == "COPY" and "Test-Health.ps1" in v]
        if script is None or ("-File" in health[0] and not copied):
            problems.append("HEALTHCHECK runs a script the image does not copy")
        elif re.search(r"\breturn\s+[01]\b", script) or "exit 1" not in script:
            problems.append("HEALTHCHECK sets no exit code (return in -Command does not)")
    commands = [c for k, v in steps if k == "RUN" for c in v.split(";")]
    for key, name, allowed, why in REGISTRY:
        setting = [c for c in commands if f"-Name {name} " in c]
        if not (len(setting) == 1 and f"-Path '{key}'" in setting[0]
                and re.search(rf"-Name {name} -PropertyType DWord -Value {allowed} -Force", setting[0])):
            problems.append(f"{name} is not set to {allowed} in {key}: {why}")
    entry = [v for k, v in steps if k == "ENTRYPOINT"]
    if not entry or not json.loads(entry[0])[0].endswith("LogMonitor.exe"):
        problems.append("ENTRYPOINT does not start LogMonitor (IIS logs would not reach docker logs)")
    return problems


def test_dockerfile_iis_follows_the_windows_rules():
    assert iis_problems(IIS.read_text()) == []


def test_a_dockerfile_without_the_registry_values_is_caught():
    """Known-bad input: Dockerfile.iis at 3aa580b had no registry settings at all."""
    text = "\n".join(l for l in IIS.read_text().splitlines() if "Dnscache" not in l and "HTTP\\Parameters" not in l)
    problems = iis_problems(text)
    assert [p.split()[0] for p in problems] == ["MaxCacheTtl", "MaxNegativeCacheTtl", "DisableServerHeader"]


@pytest.mark.parametrize("old,new,problem", [
    ("-Name MaxCacheTtl -PropertyType DWord -Value 0", "-Name MaxCacheTtl -PropertyType DWord -Value 600",
     "MaxCacheTtl is not set"),
    ("Services\\Dnscache\\Parameters' -Name MaxNegativeCacheTtl", "Services\\Tcpip\\Parameters' -Name MaxNegativeCacheTtl",
     "MaxNegativeCacheTtl is not set"),
    ("-Name DisableServerHeader -PropertyType DWord -Value 2", "-Name DisableServerHeader -PropertyType DWord -Value 1",
     "DisableServerHeader is not set"),
    ("iis/Test-Health.ps1 ", "", "a script the image does not copy"),
    ("RUN .\\Install-Module.ps1 -Name ARR", "RUN msiexec /i C:\\setup\\requestRouter_amd64.msi /qn", "bare msiexec"),
    ("COPY iis/installers/", "COPY --link iis/installers/", "BuildKit-only"),
    ("# escape=`\n", "", "no `# escape"),
    ('ENTRYPOINT ["C:\\\\LogMonitor\\\\LogMonitor.exe", ', "ENTRYPOINT [", "LogMonitor"),
], ids=["dns-cache-600s", "dns-wrong-key", "server-header-1", "healthcheck-not-copied", "bare-msiexec", "buildkit", "no-escape", "no-logmonitor"])
def test_a_broken_windows_dockerfile_is_caught(old, new, problem):
    text = IIS.read_text()
    assert old in text
    assert any(problem in p for p in iis_problems(text.replace(old, new, 1))), problem


def test_a_healthcheck_that_returns_instead_of_exiting_is_caught():
    """Known-bad input: `return 1` ends the script with exit code 0, which Docker reads as healthy."""
    script = (ROOT / "iis" / "Test-Health.ps1").read_text().replace("exit 1", "return 1")
    assert any("sets no exit code" in p for p in iis_problems(IIS.read_text(), {"Test-Health.ps1": script}))


def health_attempts(source: str, tmp_path) -> list[dict]:
    """The healthcheck's requests in order: each Invoke-WebRequest's parameters."""
    from tests.static.powershell import commands, syntax_tree

    return [c.parameters for c in commands(syntax_tree(source, tmp_path)) if c.name == "Invoke-WebRequest"]


def test_the_healthcheck_asks_anonymously_first_then_signed_in(tmp_path):
    """docs/windows.md W39: anonymous first (the health path's <location>), then, on a 401 only, as
    the container's account, so that it passes whichever way IIS applies the location."""
    source = (ROOT / "iis" / "Test-Health.ps1").read_text()
    attempts = health_attempts(source, tmp_path)
    assert ["-usedefaultcredentials" in a for a in attempts] == [False, True]
    assert all(a.get("-uri") == "$url" and a.get("-erroraction") == "Stop" for a in attempts)
    assert "if ($status -ne 401)" in source


def test_a_healthcheck_that_signs_in_first_is_caught(tmp_path):
    source = (ROOT / "iis" / "Test-Health.ps1").read_text().replace(
        "Invoke-WebRequest -UseBasicParsing -TimeoutSec 4", "Invoke-WebRequest -UseBasicParsing -UseDefaultCredentials -TimeoutSec 4", 1)
    assert ["-usedefaultcredentials" in a for a in health_attempts(source, tmp_path)] != [False, True]


def ip_restrictions_problems(text: str) -> list[str]:
    """server.config's dynamicIpSecurity needs the IP and Domain Restrictions role service, which
    servercore/iis lacks, installed before IIS is configured (docs/windows.md W42)."""
    steps = [(k, v) for k, v in instructions(text) if k == "RUN"]
    configure = next(i for i, (_, v) in enumerate(steps) if "Configure-Iis.ps1" in v)
    installs = [i for i, (_, v) in enumerate(steps) if re.search(r"Add-WindowsFeature Web-IP-Security\b", v)]
    if not installs or installs[0] > configure:
        return ["Web-IP-Security is not installed before IIS is configured: dynamicIpSecurity would be 500.19"]
    return []


def test_the_windows_image_installs_what_per_client_limits_need():
    assert "dynamicIpSecurity" in (ROOT / "iis" / "server.config").read_text()
    assert ip_restrictions_problems(IIS.read_text()) == []


def test_a_dockerfile_without_ip_restrictions_is_caught():
    text = IIS.read_text().replace("RUN Add-WindowsFeature Web-IP-Security\n", "")
    assert ip_restrictions_problems(text)


def websockets_problems(text: str) -> list[str]:
    """ARR proxies WebSockets only with the WebSocket Protocol role service, which servercore/iis
    lacks (docs/windows.md W44)."""
    steps = [v for k, v in instructions(text) if k == "RUN"]
    if not any(re.fullmatch(r"Add-WindowsFeature Web-WebSockets", v.strip()) for v in steps):
        return ["Web-WebSockets is not installed: ARR would forward no WebSocket"]
    return []


def test_the_windows_image_installs_the_websocket_protocol():
    assert websockets_problems(IIS.read_text()) == []


def test_a_dockerfile_without_websockets_is_caught():
    assert websockets_problems(IIS.read_text().replace("RUN Add-WindowsFeature Web-WebSockets\n", ""))
    assert websockets_problems(IIS.read_text().replace("Web-WebSockets", "Web-WebSocket"))


def test_the_start_script_hands_over_to_service_monitor_and_exits_with_it():
    lines = [l.strip() for l in START.read_text().splitlines() if l.strip()]
    assert lines[-2:] == ["& C:\\ServiceMonitor.exe w3svc", "exit $LASTEXITCODE"]


def app_problems(text: str) -> list[str]:
    """Dockerfile.app builds on Linux (/bin/sh) and on Windows (cmd): only shell-free forms work on both."""
    problems = []
    if BUILDKIT_ONLY.search(text):
        problems.append("BuildKit-only syntax")
    for kind, value in instructions(text):
        if kind in ("RUN", "CMD", "ENTRYPOINT") and not value.startswith("["):
            problems.append(f"{kind} {value[:40]} is in shell form (sh on Linux, cmd on Windows)")
        if kind == "HEALTHCHECK" and "CMD [" not in value:
            problems.append("HEALTHCHECK is in shell form")
        if kind in ("COPY", "ADD") and re.search(r"--(chown|chmod)", value):
            problems.append(f"{kind} --chown/--chmod is for Linux containers only")
        if kind == "USER" and value != "${RUN_AS}":
            problems.append(f"USER {value}: Windows needs a user name, Linux a uid: take it from RUN_AS")
    return problems


def test_dockerfile_app_builds_on_both_platforms():
    assert app_problems(APP.read_text()) == []


@pytest.mark.parametrize("old,new,problem", [
    ('RUN ["python", "-m", "pip", "install", "--no-cache-dir", "--no-compile", "-r", "requirements/app.txt"]',
     "RUN python -m pip install -r requirements/app.txt", "shell form"),
    ("COPY app app", "COPY --chown=10001 app app", "--chown"),
    ("USER ${RUN_AS}", "USER 10001", "USER 10001"),
], ids=["shell-form-run", "chown", "numeric-user"])
def test_a_broken_app_dockerfile_is_caught(old, new, problem):
    text = APP.read_text()
    assert old in text
    assert any(problem in p for p in app_problems(text.replace(old, new, 1)))


def test_windows_compose_passes_a_windows_user_to_the_app_image():
    assert config(STACKS["windows"])["services"]["app"]["build"]["args"]["RUN_AS"] == "ContainerUser"
