"""The stack on a single-node swarm, deployed with `docker stack deploy` and inspected with the
docker SDK. The engine's OS type picks the stack file (docker-stack.yml on Windows,
docker-stack.linux.yml on Linux); images are built the way the smoke suite builds them."""
from __future__ import annotations

import collections
import concurrent.futures
import os
import subprocess
import threading
import time

import docker
import requests

from tests.paths import ROOT, stack_settings
from tests.support import wait_until

STACK = "flask-iis-swarm"
STACK_FILES = {"windows": "docker-stack.yml", "linux": "docker-stack.linux.yml"}


class Swarm:
    def __init__(self, overrides: dict[str, str], say=print):
        self.say = say
        self.client = docker.from_env(timeout=600)
        self.os_type = self.client.info()["OSType"]
        self.settings = {**stack_settings(), **overrides}
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
        return subprocess.run(["docker", *args], cwd=ROOT, env=self.env, check=check, text=True,
                              capture_output=True, timeout=600)

    def deploy(self) -> None:
        self.docker("stack", "deploy", "--compose-file", self.file, STACK)

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

    def __init__(self, url: str, threads: int = 8):
        self.url, self.threads = url, threads
        self.stop = threading.Event()
        self.results: list[tuple[int, str]] = []  # (status or 0 for no answer, server or error)
        self.lock = threading.Lock()

    def worker(self):
        session = requests.Session()
        while not self.stop.is_set():
            try:
                r = session.get(self.url, timeout=30)
                outcome = (r.status_code, r.json()["server"] if r.status_code == 200 else r.text[:200])
            except requests.RequestException as exc:
                outcome = (0, repr(exc)[:200])
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
