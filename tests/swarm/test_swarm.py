"""Scale out (README): app replicas behind IIS on a single-node swarm, deployed from the stack file
with the same images and settings. Each test states its figures; they are printed for the note.

Ports are the stack's own (SWARM_TEST_*) so that a compose stack may run beside it."""
import concurrent.futures
import subprocess
import time

import pytest
import requests

from tests.smoke.stack import Stack
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
def url(swarm):
    return f"http://localhost:{HTTP_PORT}/{swarm.settings['APP_PREFIX']}/_diagnostics"


def get_many(url: str, count: int = 400, threads: int = 16):
    def one(_):
        return requests.get(url, timeout=30).json()["server"]

    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, range(count)))


def hostnames(swarm, container_ids) -> set[str]:
    return {swarm.client.containers.get(c).attrs["Config"]["Hostname"] for c in container_ids}


def test_requests_through_the_proxy_reach_every_replica(swarm, url, live):
    replicas = hostnames(swarm, swarm.healthy_tasks("app"))
    seen = get_many(url)
    spread = {name: seen.count(name) for name in sorted(set(seen))}
    live(f"swarm: 400 requests, 16 at a time, over {len(replicas)} replicas: {spread}")
    assert set(seen) == replicas


def test_https_from_the_swarm_secrets(swarm, tls):
    r = requests.get(f"https://localhost:{HTTPS_PORT}/{swarm.settings['APP_PREFIX']}/health", verify=tls["ca"],
                     timeout=30)
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    # The secrets are iis's alone.
    assert not swarm.service("app").attrs["Spec"]["TaskTemplate"]["ContainerSpec"].get("Secrets")


def test_a_client_outside_the_private_network_cannot_spoof(swarm, url):
    seen = requests.get(url, headers={"X-Forwarded-For": "6.6.6.6", "X-Original-Host": "evil.example"},
                        timeout=30).json()
    assert seen["remote_addr"] != "6.6.6.6" and seen["headers"]["X-Forwarded-For"].startswith("6.6.6.6, ")
    assert seen["host"] == f"localhost:{HTTP_PORT}"  # IIS sets X-Original-Host itself, from the Host
    # Nothing else can join the network the app trusts, so nothing else can send from its subnet.
    network = f"{STACK}_backend"
    result = swarm.docker("run", "--rm", "--network", network, swarm.service("app").attrs["Spec"]["TaskTemplate"]
                          ["ContainerSpec"]["Image"].split("@")[0], "python", "-c", "print('joined')", check=False)
    assert result.returncode != 0 and "joined" not in result.stdout
    assert "attachable" in result.stderr, result.stderr
    # And the app publishes no port.
    assert not swarm.service("app").attrs["Endpoint"].get("Ports")


def test_a_killed_replica_is_replaced_while_traffic_continues(swarm, url, live):
    replicas = int(swarm.settings["APP_REPLICAS"])
    victim = swarm.healthy_tasks("app")[0]
    with Load(url) as load:
        load.wait_for(50)  # traffic flows before the kill
        swarm.client.containers.get(victim).kill()
        seconds = swarm.wait_converged({"app": replicas}, HEALTH_TIMEOUT[swarm.os_type], exclude=(victim,))
        load.wait_for(len(load.results) + 50)  # and after the replacement
    live(f"swarm: replica killed under load: replaced and healthy in {seconds:.1f}s; {len(load.results)} requests,"
         f" {len(load.failed)} failed {load.failed[:3]}")
    # A SIGKILL loses what that replica was answering at the moment: at most one request per load thread.
    assert len(load.failed) <= load.threads
    assert len(load.results) > 100


def test_a_rolling_update_under_load_fails_no_request(swarm, url, live):
    replicas = int(swarm.settings["APP_REPLICAS"])
    before = set(swarm.healthy_tasks("app"))
    with Load(url) as load:
        started = time.monotonic()
        swarm.docker("service", "update", "--force", "--detach=false", "--quiet", f"{STACK}_app")
        swarm.wait_converged({"app": replicas}, HEALTH_TIMEOUT[swarm.os_type], exclude=before)
        seconds = time.monotonic() - started
    live(f"swarm: rolling update of {replicas} replicas under load in {seconds:.1f}s: {len(load.results)} requests,"
         f" {len(load.failed)} failed {load.failed[:3]}, spread {dict(load.spread())}")
    assert load.failed == []
    assert len(load.results) > 100


def test_scaling_from_two_to_four_spreads_the_load(swarm, url, live):
    before = hostnames(swarm, swarm.healthy_tasks("app"))
    swarm.docker("service", "scale", "--detach=false", f"{STACK}_app=4")
    try:
        swarm.wait_converged({"app": 4}, HEALTH_TIMEOUT[swarm.os_type])
        replicas = hostnames(swarm, swarm.healthy_tasks("app"))
        seen = get_many(url)
        spread = {name: seen.count(name) for name in sorted(set(seen))}
        live(f"swarm: scaled to 4: 400 requests, 16 at a time: {spread} ({len(set(seen))} of 4 replicas)")
        # ARR's open connections stay with the replicas they reach (README: Scale out), so a new
        # replica gets traffic as new connections open: at least one has, never a stopped one.
        assert len(replicas) == 4 and set(seen) <= replicas and set(seen) - before
    finally:
        swarm.docker("service", "scale", "--detach=false", f"{STACK}_app={swarm.settings['APP_REPLICAS']}",
                     check=False)
