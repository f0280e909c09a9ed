"""The stack on a single-node swarm, deployed with `docker stack deploy` and inspected with the
docker SDK. The engine's OS type picks the stack file (docker-stack.yml on Windows,
docker-stack.linux.yml on Linux); images are built the way the smoke suite builds them."""
from __future__ import annotations

import collections
import concurrent.futures
import json
import os
import re
import shlex
import subprocess
import threading
import time

import docker

from tests.paths import ENV_EXAMPLE, ROOT, read_env_file, stack_settings
from tests.support import wait_until

STACK = "flask-iis-swarm"
STACK_FILES = {"windows": "docker-stack.yml", "linux": "docker-stack.linux.yml"}
HTTPS_FILES = {"windows": "docker-stack.https.yml", "linux": "docker-stack.linux.https.yml"}
README_STACK = "flask-iis"


def readme_commands() -> dict[str, str]:
    """The Linux lines of README's Scale out section that load the settings and deploy, HTTP-only and
    with HTTPS: the suite runs these very lines, so the README's commands are what CI proves."""
    section = (ROOT / "README.md").read_text().split("## Scale out", 1)[1].split("\n## ", 1)[0]
    lines = [line.split("  #")[0].strip() for block in re.findall(r"```sh\n(.*?)```", section, re.S)
             for line in block.splitlines()]
    deploy = f"docker stack deploy -c {STACK_FILES['linux']}"
    return {
        "settings": next(line for line in lines if line.startswith("set -a;")),
        "http": next(line for line in lines if line == f"{deploy} {README_STACK}"),
        "https": next(line for line in lines if line == f"{deploy} -c {HTTPS_FILES['linux']} {README_STACK}"),
    }


class Swarm:
    def __init__(self, overrides: dict[str, str], say=print):
        self.say = say
        self.client = docker.from_env(timeout=600)
        self.os_type = self.client.info()["OSType"]
        self.settings = {**stack_settings(), **overrides}
        # What this run changes on top of .env.example, which README's lines load.
        self.defaults = read_env_file(ENV_EXAMPLE)
        self.changed = {k: v for k, v in self.settings.items() if self.defaults.get(k) != v}
        self.env = {**os.environ, **self.settings}
        self.file = STACK_FILES[self.os_type]
        self.joined_here = False

    # --- the swarm itself: left as it was found ---------------------------------------------------

    def join(self) -> None:
        state = self.client.info()["Swarm"]
        if state["LocalNodeState"] == "inactive":
            self.client.swarm.init(advertise_addr="127.0.0.1" if self.os_type == "linux" else None)
            self.joined_here = True
        elif not state.get("ControlAvailable"):
            raise RuntimeError("this engine is in a swarm but not a manager: stack deploy needs a manager")

    def leave(self) -> None:
        if self.joined_here:
            self.client.swarm.leave(force=True)

    # --- the stack --------------------------------------------------------------------------------

    def docker(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(["docker", *args], cwd=ROOT, env=self.env, text=True, capture_output=True,
                                timeout=600)
        if check and result.returncode != 0:
            raise RuntimeError(f"docker {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
        return result

    def deploy(self, https: bool = False) -> None:
        """HTTP-only, or with the HTTPS override added; an existing stack is updated in place."""
        if self.os_type == "linux":
            # README's own lines, in a shell that has only what the test changes on top of them.
            commands = readme_commands()
            script = "\n".join([
                "set -e", commands["settings"],
                *(f"export {k}={shlex.quote(v)}" for k, v in self.changed.items()),
                commands["https" if https else "http"].replace(f" {README_STACK}", f" {STACK}")])
            env = {k: v for k, v in os.environ.items() if k not in self.defaults}
            result = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, text=True, capture_output=True,
                                    timeout=600)
            if result.returncode != 0:
                raise RuntimeError(f"README's deploy lines failed ({result.returncode}):\n{script}\n{result.stderr}")
            return
        files = [self.file, HTTPS_FILES[self.os_type]] if https else [self.file]
        self.docker("stack", "deploy", *(arg for f in files for arg in ("--compose-file", f)), STACK)

    def remove(self) -> None:
        self.docker("stack", "rm", STACK, check=False)
        # The network and secrets go once the tasks are gone; the next deploy must not race them.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (
                self.client.networks.list(filters={"label": f"com.docker.stack.namespace={STACK}"})
                # sparse: no inspect of each, which races a container being removed meanwhile
                or self.client.containers.list(all=True, sparse=True,
                                               filters={"label": f"com.docker.stack.namespace={STACK}"})):
            time.sleep(0.5)

    def service(self, name: str):
        return self.client.services.get(f"{STACK}_{name}")

    def healthy_tasks(self, name: str) -> list[str]:
        """Container IDs of the service's running tasks whose container is healthy."""
        ids = []
        for task in self.service(name).tasks(filters={"desired-state": "running"}):
            status = task["Status"]
            if status["State"] != "running":
                continue
            container_id = status.get("ContainerStatus", {}).get("ContainerID")
            try:
                container = self.client.containers.get(container_id)
            except docker.errors.NotFound:
                continue
            if container.attrs["State"].get("Health", {}).get("Status") == "healthy":
                ids.append(container_id)
        return ids

    def wait_converged(self, replicas: dict[str, int], timeout: float, exclude=()) -> float:
        """Polls until each service has exactly that many healthy running tasks (none of exclude)."""
        started = time.monotonic()
        while True:
            counts = {name: [c for c in self.healthy_tasks(name) if c not in exclude] for name in replicas}
            if all(len(counts[n]) == want for n, want in replicas.items()):
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"not converged after {timeout}s: { {n: len(c) for n, c in counts.items()} }"
                                   f" healthy, wanted {replicas}\n{self.logs()}")
            time.sleep(0.5)

    def logs(self) -> str:
        out = []
        for name in ("app", "iis"):
            result = self.docker("service", "logs", "--tail", "30", f"{STACK}_{name}", check=False)
            out.append(f"--- {name}\n{result.stdout}{result.stderr}")
            tasks = self.docker("service", "ps", "--no-trunc", f"{STACK}_{name}", check=False)
            out.append(tasks.stdout)
        return "\n".join(out)


class Load:
    """A bounded loop of GETs through the proxy from several threads, counting what each got."""

    def __init__(self, probe, path: str, threads: int = 8):
        self.probe, self.path, self.threads = probe, path, threads
        self.stop = threading.Event()
        self.results: list[tuple[int, str]] = []  # (status or 0 for no answer, server or error)
        self.lock = threading.Lock()

    def worker(self):
        while not self.stop.is_set():
            status, text = self.probe.get(self.path)
            outcome = (status, json.loads(text)["server"] if status == 200 else text[:200])
            with self.lock:
                self.results.append(outcome)

    def __enter__(self):
        self.pool = concurrent.futures.ThreadPoolExecutor(self.threads)
        self.futures = [self.pool.submit(self.worker) for _ in range(self.threads)]
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for f in self.futures:
            f.result()
        self.pool.shutdown()

    def wait_for(self, count: int, timeout: float = 60) -> None:
        wait_until(lambda: len(self.results) >= count, timeout, f"{count} requests through the proxy", interval=0.1)

    @property
    def failed(self) -> list[tuple[int, str]]:
        return [r for r in self.results if r[0] != 200]

    def spread(self) -> collections.Counter:
        return collections.Counter(server for status, server in self.results if status == 200)
