"""Stopping (docs/windows.md W18): every file gives the app longer than its drain bound, and the
Windows image lets Windows wait that long. Each rule is shown failing on a known-bad input."""
from __future__ import annotations

import re

import pytest

from app.server import stop_timeouts
from tests.paths import ENV_EXAMPLE, ROOT, read_env_file
from tests.static.dockerfile import instructions

FILES = ["docker-compose.yml", "docker-compose.linux.yml", "docker-stack.yml", "docker-stack.linux.yml"]


def seconds(duration: str) -> float:
    return sum(float(n) * {"h": 3600, "m": 60, "s": 1}[u] for n, u in re.findall(r"(\d+(?:\.\d+)?)([hms])", duration))


def grace_problems(text: str, bound: int, ceiling: int) -> list[str]:
    found = re.findall(r"^  app:\n(?:    .*\n|\n)*?    stop_grace_period: (\S+)", text, re.MULTILINE)
    if not found:
        return ["app: no stop_grace_period: docker stop's 10 s default cuts the drain short"]
    grace = seconds(found[0])
    problems = []
    if grace <= bound:
        problems.append(f"app: stop_grace_period {found[0]} is not longer than APP_TIMEOUT_SECONDS ({bound} s)")
    if grace > ceiling:
        problems.append(f"app: stop_grace_period {found[0]} is over the Windows image's ceiling ({ceiling} s)")
    return problems


@pytest.mark.parametrize("name", FILES)
def test_the_app_gets_longer_than_its_drain_bound(name):
    bound = int(read_env_file(ENV_EXAMPLE)["APP_TIMEOUT_SECONDS"])
    assert grace_problems((ROOT / name).read_text(), bound, stop_timeouts.CEILING_SECONDS) == []


@pytest.mark.parametrize("old,new,problem", [
    ("    stop_grace_period: 35s\n", "", "no stop_grace_period"),
    ("    stop_grace_period: 35s\n", "    stop_grace_period: 30s\n", "not longer than"),
    ("    stop_grace_period: 35s\n", "    stop_grace_period: 10m\n", "ceiling"),
])
def test_a_short_or_missing_grace_period_is_caught(old, new, problem):
    text = (ROOT / "docker-compose.yml").read_text()
    assert old in text
    assert any(problem in p for p in grace_problems(text.replace(old, new), 30, stop_timeouts.CEILING_SECONDS))


def test_the_windows_timeouts_are_the_sourced_pair_and_lift_the_5_s_default():
    names = {(key.rsplit("\\", 1)[1], name, kind) for key, name, kind, _ in stop_timeouts.VALUES}
    assert names == {("cexecsvc", "ProcessShutdownTimeoutSeconds", "REG_DWORD"),
                     ("Control", "WaitToKillServiceTimeout", "REG_SZ")}
    values = {name: value for _, name, _, value in stop_timeouts.VALUES}
    assert values["ProcessShutdownTimeoutSeconds"] == stop_timeouts.CEILING_SECONDS
    assert values["WaitToKillServiceTimeout"] == str(stop_timeouts.CEILING_SECONDS * 1000)  # milliseconds


def app_image_problems(text: str) -> list[str]:
    steps = instructions(text)
    runs = [i for i, (kind, value) in enumerate(steps) if kind == "RUN" and "app.server.stop_timeouts" in value]
    user = [i for i, (kind, _) in enumerate(steps) if kind == "USER"]
    copy = [i for i, (kind, value) in enumerate(steps) if kind == "COPY" and value.startswith("app ")]
    if not runs:
        return ["Dockerfile.app does not run app.server.stop_timeouts: Windows ends the app 5 s into a stop"]
    if user and runs[0] > user[0]:
        return ["app.server.stop_timeouts runs after USER: ContainerUser cannot write HKLM"]
    if copy and runs[0] < copy[0]:
        return ["app.server.stop_timeouts runs before the app is copied"]
    return []


def test_the_app_image_sets_the_windows_timeouts_as_administrator():
    assert app_image_problems((ROOT / "Dockerfile.app").read_text()) == []


@pytest.mark.parametrize("change,problem", [
    (lambda t: t.replace('RUN ["python", "-m", "app.server.stop_timeouts"]\n', ""), "does not run"),
    (lambda t: t.replace('RUN ["python", "-m", "app.server.stop_timeouts"]\n', "").replace(
        'CMD ["python", "-m", "app.server"]', 'RUN ["python", "-m", "app.server.stop_timeouts"]\nCMD ["python", "-m", "app.server"]'),
     "after USER"),
], ids=["missing", "after-user"])
def test_a_dockerfile_without_the_timeouts_is_caught(change, problem):
    text = change((ROOT / "Dockerfile.app").read_text())
    assert any(problem in p for p in app_image_problems(text))


def test_stop_timeouts_does_nothing_outside_windows(capsys):
    assert stop_timeouts.main() == 0
    assert "nothing to set" in capsys.readouterr().out


WINDOWS_FILES = ["docker-compose.yml", "docker-compose.https.yml", "docker-stack.yml", "docker-stack.https.yml"]


def delivery_problems(dockerfile: str, compose_files: dict[str, str]) -> list[str]:
    """What keeps CTRL_SHUTDOWN_EVENT from the app on Windows (docs/windows.md W18): a shell between
    Docker and python takes the event and passes nothing on; with a TTY no event is sent at all."""
    import json

    from ruamel.yaml import YAML

    problems = []
    cmd = [v for k, v in instructions(dockerfile) if k in ("CMD", "ENTRYPOINT")]
    if [k for k, _ in instructions(dockerfile) if k == "ENTRYPOINT"]:
        problems.append("Dockerfile.app has an ENTRYPOINT: the stop goes to it, not to python")
    if not cmd or not cmd[-1].startswith("[") or json.loads(cmd[-1])[0] != "python":
        problems.append("Dockerfile.app's CMD does not start python itself (exec form): a shell would take the stop")
    for name, text in compose_files.items():
        for service, spec in (YAML(typ="safe").load(text).get("services") or {}).items():
            if (spec or {}).get("tty"):
                problems.append(f"{name}: {service} has tty: with a TTY Windows sends no stop event")
    return problems


def test_the_stop_reaches_python_itself_on_windows():
    files = {name: (ROOT / name).read_text() for name in WINDOWS_FILES}
    assert delivery_problems((ROOT / "Dockerfile.app").read_text(), files) == []


@pytest.mark.parametrize("change,problem", [
    (lambda d, f: (d.replace('CMD ["python", "-m", "app.server"]', 'CMD ["cmd", "/S", "/C", "python -m app.server"]'), f),
     "does not start python"),
    (lambda d, f: (d.replace('CMD ["python", "-m", "app.server"]', "CMD python -m app.server"), f), "does not start python"),
    (lambda d, f: (d, {**f, "docker-compose.yml": f["docker-compose.yml"].replace(
        "    stop_grace_period: 35s\n", "    stop_grace_period: 35s\n    tty: true\n")}), "tty"),
], ids=["cmd-wrapper", "shell-form", "tty"])
def test_a_stop_the_app_would_never_see_is_caught(change, problem):
    files = {name: (ROOT / name).read_text() for name in WINDOWS_FILES}
    dockerfile, changed = change((ROOT / "Dockerfile.app").read_text(), files)
    assert any(problem in p for p in delivery_problems(dockerfile, changed))
