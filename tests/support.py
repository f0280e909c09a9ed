"""Helpers shared by the test suites: free ports, processes, and polling (never fixed sleeps)."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from html.parser import HTMLParser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return 200 <= r.status < 300
    except (urllib.error.URLError, OSError):
        return False


# Marks every process the tests start (inherited by their children): tests/conftest.py fails the
# session if one is still alive at its end.
SESSION_MARK = "FLASK_IIS_TEST_SESSION"
ADDRESS_IN_USE = re.compile(r"Address already in use|Connection in use|EADDRINUSE|\[Errno 98\]")


def start(cmd, env, url: str, log_path, timeout: float = 30):
    """Starts cmd in a process group of its own and polls url until it answers 2xx; on timeout shows
    the process's output."""
    log = open(log_path, "wb")
    env = {**env, SESSION_MARK: str(os.getpid())}
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until(lambda: proc.poll() is not None or http_ok(url), timeout, f"{url} to answer")
        if proc.poll() is not None:
            raise RuntimeError(f"{cmd} exited with {proc.returncode}")
    except (TimeoutError, RuntimeError):
        stop(proc)
        log.close()
        raise RuntimeError(f"could not start {cmd}:\n{open(log_path, errors='replace').read()}") from None
    return proc


def start_on_free_ports(launch, log_path, count: int = 1, attempts: int = 5):
    """launch(*ports) -> (cmd, env, url): starts it on count free ports; returns (proc, ports). A port
    free_port() found may be taken by another process before the server binds it: a start that
    fails for an address in use is tried again on other ports."""
    for attempt in range(attempts):
        ports = [free_port() for _ in range(count)]
        cmd, env, url = launch(*ports)
        try:
            return start(cmd, env, url, log_path), ports
        except RuntimeError as exc:
            if attempt == attempts - 1 or not ADDRESS_IN_USE.search(str(exc)):
                raise
    raise AssertionError("unreachable")


def stop(proc):
    """Stops the process and its whole group (workers included): TERM, then KILL what is left."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # what outlived the leader's own stop
    except ProcessLookupError:
        pass
    proc.wait()


def survivors() -> list[str]:
    """Processes this test session started (SESSION_MARK in their environment) still running."""
    found = []
    mark = f"{SESSION_MARK}={os.getpid()}".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if mark in f.read().split(b"\0"):
                    with open(f"/proc/{entry}/cmdline", "rb") as c:
                        command = c.read().replace(b"\0", b" ").decode(errors="replace")
                    found.append(f"{entry}: {command[:120]}")
        except OSError:
            continue
    return found


def write_pfx(ca, path, password: str, *hostnames: str) -> None:
    """A PKCS#12 file (what IIS binds) for hostnames, issued by a trustme CA, password-protected."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509 import load_pem_x509_certificate

    issued = ca.issue_cert(*hostnames)
    key = serialization.load_pem_private_key(issued.private_key_pem.bytes(), None)
    cert = load_pem_x509_certificate(issued.cert_chain_pems[0].bytes())
    data = pkcs12.serialize_key_and_certificates(
        b"tls", key, cert, None, serialization.BestAvailableEncryption(password.encode()))
    with open(path, "wb") as f:
        f.write(data)


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "action", "src") and value:
                self.found.append(value)


def links(html: str) -> list[str]:
    """Every href, action and src in a page, in order."""
    parser = _Links()
    parser.feed(html)
    return parser.found
