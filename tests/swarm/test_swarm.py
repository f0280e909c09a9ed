"""Scale out (README): app replicas behind IIS on a single-node swarm, deployed by README's own
commands, HTTP-only, with the same images and settings; HTTPS added last. Each test states its
figures; they are printed for the note.

Requests come from the host on Linux, from inside the iis task on Windows (tests/swarm/probes.py).
Ports are the stack's own (SWARM_TEST_*) so that a compose stack may run beside it."""
import concurrent.futures
import json
import time

import docker
import pytest

from tests.smoke.stack import Stack
from tests.support import wait_until
from tests.swarm.probes import HostProbe, TaskProbe
from tests.swarm.swarm import STACK, Load, Swarm

HTTP_PORT, HTTPS_PORT = "8180", "8543"
HEALTH_TIMEOUT = {"linux": 120, "windows": 600}


@pytest.fixture(scope="module")
def swarm(tls, live):
    s = Swarm({"APP_DIAGNOSTICS": "true", "TLS_CERT_DIR": tls["TLS_CERT_DIR"], "IIS_HTTP_PORT": HTTP_PORT,
               "IIS_HTTPS_PORT": HTTPS_PORT}, say=live)
    live(f"swarm: {s.os_type} engine, {s.file}, {s.settings['APP_REPLICAS']} app replicas")
    Stack(s.settings, say=live).build()  # the images the compose stack builds; stack deploy builds none
    s.join()
    try:
        s.remove()
        started = time.monotonic()
        s.deploy()
        s.wait_converged({"app": int(s.settings["APP_REPLICAS"]), "iis": 1}, HEALTH_TIMEOUT[s.os_type])
        live(f"swarm: deployed and healthy after {time.monotonic() - started:.1f}s")
        yield s
    finally:
        try:
            s.remove()
        finally:
            s.leave()


@pytest.fixture(scope="module")
def probe(swarm, tls):
    return TaskProbe(swarm) if swarm.os_type == "windows" else HostProbe(HTTP_PORT, HTTPS_PORT, tls["ca"])


@pytest.fixture(scope="module")
def path(swarm):
    return f"/{swarm.settings['APP_PREFIX']}/_diagnostics"


def get_many(probe, path: str, count: int, threads: int) -> list[str]:
    def one(_):
        status, text = probe.get(path)
        assert status == 200, text
        return json.loads(text)["server"]

    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, range(count)))


# docker exec costs about a second a request on Windows: fewer requests there, the same checks.
def many(swarm) -> tuple[int, int]:
    return (400, 16) if swarm.os_type == "linux" else (80, 8)


def hostnames(swarm, container_ids) -> set[str]:
    return {swarm.client.containers.get(c).attrs["Config"]["Hostname"] for c in container_ids}


def test_requests_through_the_proxy_reach_every_replica(swarm, probe, path, live):
    """Deployed HTTP-only by README's own commands, with no certificate folder (the fixture's)."""
    assert not swarm.service("iis").attrs["Spec"]["TaskTemplate"]["ContainerSpec"].get("Secrets")
    assert probe.get(f"/{swarm.settings['APP_PREFIX']}/help") == (200, "This is the Help Page")
    replicas = hostnames(swarm, swarm.healthy_tasks("app"))
    count, threads = many(swarm)
    seen = get_many(probe, path, count, threads)
    spread = {name: seen.count(name) for name in sorted(set(seen))}
    live(f"swarm: {count} requests, {threads} at a time, over {len(replicas)} replicas: {spread}")
    assert set(seen) == replicas and len(replicas) >= 2


def test_requests_from_inside_the_iis_task_reach_the_app(swarm, path):
    """The way a single Windows host reaches its swarm (docs/windows.md W22), run on Linux too, so the
    exec plumbing and the answer's parsing are proved wherever the suite runs."""
    status, text = TaskProbe(swarm).get(path)
    assert status == 200, text
    assert json.loads(text)["server"] in hostnames(swarm, swarm.healthy_tasks("app"))
    assert TaskProbe(swarm).get(f"/{swarm.settings['APP_PREFIX']}X")[0] == 404


def test_swarm_refuses_an_empty_secret(swarm):
    """Why a PFX on a swarm needs a password (README: Scale out): an empty password file, which
    means no password on the single-host stacks, cannot be a secret."""
    with pytest.raises(docker.errors.APIError, match="must be larger than 0"):
        swarm.client.secrets.create(name=f"{STACK}_empty", data=b"")


def test_a_client_outside_the_private_network_cannot_spoof(swarm, probe, path):
    status, text = probe.get(path, headers={"X-Forwarded-For": "6.6.6.6", "X-Original-Host": "evil.example"})
    seen = json.loads(text)
    assert status == 200
    assert seen["remote_addr"] != "6.6.6.6" and seen["headers"]["X-Forwarded-For"].startswith("6.6.6.6, ")
    assert seen["host"] == probe.host  # IIS sets X-Original-Host itself, from the Host
    # Nothing else can join the network the app trusts, so nothing else can send from its subnet.
    network = f"{STACK}_backend"
    result = swarm.docker("run", "--rm", "--network", network, swarm.service("app").attrs["Spec"]["TaskTemplate"]
                          ["ContainerSpec"]["Image"].split("@")[0], "python", "-c", "print('joined')", check=False)
    assert result.returncode != 0 and "joined" not in result.stdout
    assert "attachable" in result.stderr, result.stderr
    # And the app publishes no port.
    assert not swarm.service("app").attrs["Endpoint"].get("Ports")


def test_a_killed_replica_is_replaced_while_traffic_continues(swarm, probe, path, live):
    replicas = int(swarm.settings["APP_REPLICAS"])
    victim = swarm.healthy_tasks("app")[0]
    with Load(probe, path) as load:
        load.wait_for(50, timeout=120)  # traffic flows before the kill
        swarm.client.containers.get(victim).kill()
        seconds = swarm.wait_converged({"app": replicas}, HEALTH_TIMEOUT[swarm.os_type], exclude=(victim,))
        load.wait_for(len(load.results) + 50, timeout=120)  # and after the replacement
    live(f"swarm: replica killed under load: replaced and healthy in {seconds:.1f}s; {len(load.results)} requests,"
         f" {len(load.failed)} failed {load.failed[:3]}")
    # A SIGKILL loses what that replica was answering at the moment: at most one request per load thread.
    assert len(load.failed) <= load.threads
    assert len(load.results) > 100


def test_a_rolling_update_under_load_fails_no_request(swarm, probe, path, live):
    replicas = int(swarm.settings["APP_REPLICAS"])
    before = set(swarm.healthy_tasks("app"))
    with Load(probe, path) as load:
        started = time.monotonic()
        swarm.docker("service", "update", "--force", "--detach=false", "--quiet", f"{STACK}_app")
        swarm.wait_converged({"app": replicas}, HEALTH_TIMEOUT[swarm.os_type], exclude=before)
        seconds = time.monotonic() - started
    live(f"swarm: rolling update of {replicas} replicas under load in {seconds:.1f}s: {len(load.results)} requests,"
         f" {len(load.failed)} failed {load.failed[:3]}, spread {dict(load.spread())}")
    assert load.failed == []
    assert len(load.results) > 100


def test_scaling_from_two_to_four_spreads_the_load(swarm, probe, path, live):
    before = hostnames(swarm, swarm.healthy_tasks("app"))
    swarm.docker("service", "scale", "--detach=false", f"{STACK}_app=4")
    try:
        swarm.wait_converged({"app": 4}, HEALTH_TIMEOUT[swarm.os_type])
        replicas = hostnames(swarm, swarm.healthy_tasks("app"))
        count, threads = many(swarm)
        seen = get_many(probe, path, count, threads)
        spread = {name: seen.count(name) for name in sorted(set(seen))}
        live(f"swarm: scaled to 4: {count} requests, {threads} at a time: {spread} ({len(set(seen))} of 4 replicas)")
        # ARR's open connections stay with the replicas they reach (README: Scale out), so a new
        # replica gets traffic as new connections open: at least one has, never a stopped one.
        assert len(replicas) == 4 and set(seen) <= replicas and set(seen) - before
    finally:
        swarm.docker("service", "scale", "--detach=false", f"{STACK}_app={swarm.settings['APP_REPLICAS']}",
                     check=False)


def test_https_added_to_the_deployed_stack(swarm, probe, live):
    """README's HTTPS line on the running stack: the certificate folder becomes iis's secrets."""
    started = time.monotonic()
    swarm.deploy(https=True)
    health = f"/{swarm.settings['APP_PREFIX']}/health"
    answer = wait_until(lambda: swarm.healthy_tasks("iis") and probe.get(health, https=True)[0] == 200 and
                        probe.get(health, https=True), HEALTH_TIMEOUT[swarm.os_type], "HTTPS through the updated iis",
                        interval=0.5)
    live(f"swarm: HTTPS added by redeploying with the override: answering after {time.monotonic() - started:.1f}s")
    assert json.loads(answer[1]) == {"status": "ok"}
    # The secrets are iis's alone.
    assert swarm.service("iis").attrs["Spec"]["TaskTemplate"]["ContainerSpec"].get("Secrets")
    assert not swarm.service("app").attrs["Spec"]["TaskTemplate"]["ContainerSpec"].get("Secrets")
