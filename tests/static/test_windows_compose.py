"""The Windows stack's compose files against what Windows containers support (docs/windows.md).

Each rule is applied to the configuration `docker compose config` resolves for the Windows stack
with its HTTPS override, and shown failing on a known-bad input: the Linux stack's file (Linux-only
keys) and the HTTPS override as it stood at 3aa580b (compose file secrets).
"""
from __future__ import annotations

import ipaddress
import re

import pytest

from tests.paths import ENV_EXAMPLE, read_env_file
from tests.static.compose import HTTPS, STACKS, resolved

SETTINGS = read_env_file(ENV_EXAMPLE)

# Compose keys a Windows container rejects or silently ignores, with the reason (docs/windows.md).
LINUX_ONLY_KEYS = {
    "read_only": "no read-only root filesystem on Windows",
    "tmpfs": "tmpfs mounts exist on Linux only",
    "sysctls": "Linux kernel parameters",
    "cap_add": "Linux capabilities", "cap_drop": "Linux capabilities",
    "security_opt": "seccomp/AppArmor/SELinux", "userns_mode": "Linux user namespaces",
    "pids_limit": "moby rejects PidsLimit on Windows", "ulimits": "moby rejects Ulimits on Windows",
    "init": "docker-init is a Linux binary", "shm_size": "/dev/shm is Linux",
    "secrets": "compose file secrets are single-file bind mounts, and Windows binds directories only",
}
WINDOWS_PATH = re.compile(r"[A-Za-z]:\\[^:*?\"<>|]+")

# docker-compose.https.yml at 3aa580b: the PFX and its password as compose file secrets.
SECRETS_OVERRIDE = """\
services:
  iis:
    secrets: [tls_pfx, tls_password]
secrets:
  tls_pfx:
    file: ${TLS_CERT_DIR:?}/tls.pfx
  tls_password:
    file: ${TLS_CERT_DIR:?}/tls-password.txt
"""


def windows_problems(config: dict) -> list[str]:
    problems = []
    for name, service in config["services"].items():
        for key, why in LINUX_ONLY_KEYS.items():
            if key in service:
                problems.append(f"{name}: {key} ({why})")
        if "isolation" not in service:
            problems.append(f"{name}: no isolation (process or hyperv must match the host, see README)")
        if re.fullmatch(r"\d+(:\d+)?", str(service.get("user", "user"))):
            problems.append(f"{name}: numeric user {service['user']} (Windows users are names)")
        for mount in service.get("volumes", []):
            if mount["type"] != "bind" or not mount.get("read_only"):
                problems.append(f"{name}: {mount} is not a read-only bind mount")
            if not WINDOWS_PATH.fullmatch(mount["target"]) or mount["target"].rstrip("\\").upper() == "C:":
                problems.append(f"{name}: mount target {mount['target']} is not a folder like C:\\name")
            if re.search(r"\.\w{2,4}$", mount.get("source", "")):
                problems.append(f"{name}: mount source {mount['source']} looks like a file; Windows binds folders")
    for name, network in config["networks"].items():
        if network.get("driver") != "nat":
            problems.append(f"network {name}: driver {network.get('driver')} (Windows single-host stacks use nat)")
        for pool in network.get("ipam", {}).get("config", []):
            if "gateway" not in pool:
                problems.append(f"network {name}: no gateway for {pool['subnet']} (Windows' IPAM assigns none)")
    return problems


def test_the_windows_stack_uses_only_what_windows_containers_support():
    assert windows_problems(resolved(*STACKS["windows"], HTTPS["windows"])) == []


def test_linux_only_keys_are_caught():
    """Known-bad input: the Linux stack's file read as if it were for Windows."""
    problems = "\n".join(windows_problems(resolved(*STACKS["linux"], HTTPS["linux"])))
    for expected in ("iis: read_only", "iis: tmpfs", "iis: sysctls", "app: read_only", "app: no isolation",
                     "iis: mount target /certs is not a folder", "driver None"):
        assert expected in problems, problems


def test_compose_file_secrets_are_caught(tmp_path):
    """Known-bad input: the HTTPS override as it stood at 3aa580b."""
    override = tmp_path / "https.yml"
    override.write_text(SECRETS_OVERRIDE)
    problems = windows_problems(resolved(*STACKS["windows"], str(override)))
    assert any(p.startswith("iis: secrets") for p in problems), problems


def test_a_network_without_gateway_is_caught():
    config = resolved(*STACKS["windows"])
    for network in config["networks"].values():
        for pool in network["ipam"]["config"]:
            pool.pop("gateway")
    assert any("no gateway" in p for p in windows_problems(config))


@pytest.mark.parametrize("changes,problem", [
    ({}, None),
    ({"IIS_ADDRESS": "172.30.51.10"}, "an address is outside STACK_SUBNET"),
    ({"STACK_GATEWAY": "10.0.0.1"}, "an address is outside STACK_SUBNET"),
    ({"IIS_ADDRESS": SETTINGS["STACK_GATEWAY"]}, "IIS_ADDRESS is the gateway"),
    ({"IIS_ADDRESS": SETTINGS["STACK_SUBNET"].split("/")[0]}, "IIS_ADDRESS is the network or broadcast address"),
], ids=["defaults", "iis-outside", "gateway-outside", "iis-is-gateway", "iis-is-network"])
def test_stack_addresses_fit_the_subnet(changes, problem):
    assert address_problem({**SETTINGS, **changes}) == problem


def address_problem(s: dict) -> str | None:
    subnet = ipaddress.ip_network(s["STACK_SUBNET"])
    gateway, iis = ipaddress.ip_address(s["STACK_GATEWAY"]), ipaddress.ip_address(s["IIS_ADDRESS"])
    if gateway not in subnet or iis not in subnet:
        return "an address is outside STACK_SUBNET"
    if iis == gateway:
        return "IIS_ADDRESS is the gateway"
    if iis in (subnet.network_address, subnet.broadcast_address):
        return "IIS_ADDRESS is the network or broadcast address"
    return None
