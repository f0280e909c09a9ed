"""Helpers shared by the test suites: free ports, processes, and polling (never fixed sleeps)."""
from __future__ import annotations

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


def start(cmd, env, url: str, log_path, timeout: float = 30):
    """Starts cmd and polls url until it answers 2xx; on timeout shows the process's output."""
    log = open(log_path, "wb")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: proc.poll() is not None or http_ok(url), timeout, f"{url} to answer")
        if proc.poll() is not None:
            raise RuntimeError(f"{cmd} exited with {proc.returncode}")
    except (TimeoutError, RuntimeError):
        stop(proc)
        log.close()
        raise RuntimeError(f"could not start {cmd}:\n{open(log_path, errors='replace').read()}") from None
    return proc


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


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
