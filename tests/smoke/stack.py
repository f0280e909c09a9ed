"""The stack under test, driven through the compose CLI and inspected with the docker SDK.

The engine's OS type picks the stack: docker-compose.yml (Windows, real IIS) or
docker-compose.linux.yml (the IIS stand-in). Both run the same tests.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import docker

from tests.paths import ROOT, stack_settings
from tests.smoke import sign_on

PROJECT = "flask-iis-smoke"
# Each stack with its HTTPS override: a read-only certificate folder, mounted where that OS's IIS
# (or the stand-in) looks for it. Windows cannot bind-mount single files, so no compose secrets.
COMPOSE_FILES = {"windows": ["docker-compose.yml", "docker-compose.https.yml"],
                 "linux": ["docker-compose.linux.yml", "docker-compose.linux.https.yml"]}
# With Windows sign-on on (IIS_ALLOW_ANONYMOUS=false): on Linux the stand-in's test accounts
# (tests/smoke/sign_on.py); on Windows the accounts are created in the running IIS container.
SIGN_ON_FILES = {"windows": [], "linux": ["tests/smoke/compose.sign-on.linux.yml"]}
# Every container's log is written here before the stack is torn down (the Windows workflow
# uploads it: once the stack is down, `docker compose logs` has nothing left to show).
LOG_DIR = ROOT / "logs" / "smoke"


def say(message: str) -> None:
    print(message, flush=True)


class Stack:
    def __init__(self, overrides: dict[str, str], say=say):
        self.say = say
        # Windows image builds can be silent for many minutes while base layers download.
        self.client = docker.from_env(timeout=3600)
        self.os_type = self.client.info()["OSType"]
        settings = stack_settings()
        settings.update(overrides)
        self.settings = settings
        self.env = {**os.environ, **settings}
        self.app_server = settings["APP_SERVER"]  # what the app's launcher runs (app/server/__main__.py)
        self.files = COMPOSE_FILES[self.os_type] + (SIGN_ON_FILES[self.os_type] if sign_on.enabled(settings) else [])

    # --- compose ------------------------------------------------------------------------------

    def compose(self, *args: str, check: bool = True, capture: bool = False) -> subprocess.CompletedProcess:
        cmd = ["docker", "compose", "-p", PROJECT]
        for f in self.files:
            cmd += ["-f", f]
        return subprocess.run(cmd + list(args), cwd=ROOT, env=self.env, check=check, text=True,
                              capture_output=capture, timeout=900)

    def config(self) -> dict:
        return json.loads(self.compose("config", "--format", "json", capture=True).stdout)

    def build(self) -> None:
        """Builds every service's image with the docker SDK, as the compose file defines it."""
        for name, service in self.config()["services"].items():
            build = service["build"]
            self.say(f"building {service['image']} ({build.get('dockerfile')}) for service {name}")
            started = time.monotonic()
            stream = self.client.api.build(path=build["context"], dockerfile=build.get("dockerfile"),
                                           tag=service["image"], buildargs=build.get("args") or {},
                                           rm=True, decode=True)
            for chunk in stream:
                if "stream" in chunk and chunk["stream"].strip():
                    self.say("  " + chunk["stream"].rstrip())
                if "error" in chunk:
                    raise RuntimeError(f"building {service['image']} failed: {chunk['error']}")
            self.say(f"built {service['image']} in {time.monotonic() - started:.0f}s")

    def up(self) -> None:
        self.compose("up", "--detach", "--no-build", "--remove-orphans")

    def down(self) -> None:
        self.save_logs()
        self.compose("down", "--volumes", "--remove-orphans", "--timeout", "20", check=False)

    def save_logs(self, folder: Path = LOG_DIR) -> list[Path]:
        """Each container's log and state as files, so they outlive the stack."""
        folder.mkdir(parents=True, exist_ok=True)
        saved = []
        for c in self.containers():
            c.reload()
            path = folder / f"{c.labels['com.docker.compose.service']}.log"
            state = json.dumps(c.attrs["State"], indent=2)
            path.write_text(f"{c.name} {c.status}\n{state}\n\n{c.logs(timestamps=True).decode(errors='replace')}",
                            encoding="utf-8")
            saved.append(path)
        return saved

    def check_addresses(self) -> None:
        """The app trusts forwarded headers from IIS_ADDRESS only: IIS must really have it."""
        actual, expected = self.address("iis"), self.settings["IIS_ADDRESS"]
        if actual != expected:
            raise RuntimeError(f"the iis container has address {actual}, but IIS_ADDRESS is {expected}: the app "
                               f"would not trust IIS's forwarded headers. Check STACK_SUBNET, STACK_GATEWAY and "
                               f"IIS_ADDRESS (docs/windows.md: nat network addressing)")

    # --- inspection with the SDK --------------------------------------------------------------

    def containers(self):
        return self.client.containers.list(all=True, filters={"label": f"com.docker.compose.project={PROJECT}"})

    def container(self, service: str):
        found = self.client.containers.list(all=True, filters={"label": [
            f"com.docker.compose.project={PROJECT}", f"com.docker.compose.service={service}"]})
        if len(found) != 1:
            raise LookupError(f"expected one container for service {service}, found {len(found)}")
        return found[0]

    def wait_healthy(self, timeout: float) -> float:
        """Polls every container's health until all are healthy; fails at once if one dies."""
        started = time.monotonic()
        deadline = started + timeout
        while True:
            states = {}
            for c in self.containers():
                c.reload()
                state = c.attrs["State"]
                states[c.labels["com.docker.compose.service"]] = (state["Status"], state.get("Health", {}).get("Status"))
            for service, (status, health) in states.items():
                if status in ("exited", "dead") or health == "unhealthy":
                    raise RuntimeError(f"service {service} is {status}/{health}\n{self.logs()}")
            if states and all(h == "healthy" for _, h in states.values()):
                return time.monotonic() - started
            if time.monotonic() > deadline:
                raise TimeoutError(f"not healthy after {timeout}s: {states}\n{self.logs()}")
            time.sleep(0.5)

    def address(self, service: str) -> str:
        networks = self.container(service).attrs["NetworkSettings"]["Networks"]
        return next(iter(networks.values()))["IPAddress"]

    def logs(self) -> str:
        out = []
        for c in self.containers():
            text = c.logs(timestamps=True).decode(errors="replace")
            out.append(f"----- logs of {c.name} ({c.status}) -----\n{text[-20000:]}")
        return "\n".join(out)
