"""Windows sign-on in the smoke suite: a test account and requests signed in as it. On Linux the
stand-in stands in for Windows Authentication with HTTP Basic against a users file (docs/standin.md
B76); on Windows a local account is created in the IIS container and requests sign in with NTLM
through curl.exe, the way a user's browser would."""
from __future__ import annotations

import base64
import os
import subprocess
import tempfile
from dataclasses import dataclass

# A test account only: created for a smoke run and gone with its container. The password is at most
# 14 characters: above that `net user` asks "Do you want to continue this operation? (Y/N)", and
# with no one to answer it fails (docs/windows.md W35); /y answers it should it ask anyway.
USER, PASSWORD = "smoke-user", "Sm0ke-Test-0n!"
ACCOUNT_COMMAND = ["net", "user", USER, PASSWORD, "/add", "/y"]
LINUX_NAME = "FLASKIIS\\" + USER  # a domain-qualified name, as Windows gives the app


def enabled(settings: dict) -> bool:
    return settings["IIS_ALLOW_ANONYMOUS"] == "false"


def write_users_file(folder) -> str:
    path = folder / "users"
    path.write_text(f"{LINUX_NAME}:{PASSWORD}\n")
    path.chmod(0o644)  # read by the stand-in's user
    return str(path)


def create_account(stack) -> None:
    """Windows: a local account in the IIS container (a non-empty password: accounts without one may
    only log on at the console)."""
    iis = stack.container("iis")
    result = iis.exec_run(ACCOUNT_COMMAND)
    if result.exit_code != 0:
        policy = iis.exec_run(["net", "accounts"]).output.decode(errors="replace")
        raise AssertionError(f"net user exited with {result.exit_code}: {result.output.decode(errors='replace')}\n"
                             f"the container's password policy (net accounts):\n{policy}")


def basic_header() -> str:
    return "Basic " + base64.b64encode(f"{LINUX_NAME}:{PASSWORD}".encode()).decode()


@dataclass(frozen=True)
class Reply:
    status: int
    body: str
    headers: dict[str, str]  # names in lower case; the final response's


def get(os_type: str, url: str, headers: dict | None = None) -> Reply:
    """A GET signed in as the test account."""
    headers = dict(headers or {})
    if os_type == "linux":
        import requests

        r = requests.get(url, headers={**headers, "Authorization": basic_header()}, timeout=30)
        return Reply(r.status_code, r.text, {k.lower(): v for k, v in r.headers.items()})
    extra = [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
    with tempfile.TemporaryDirectory() as folder:
        dump = os.path.join(folder, "headers")
        out = subprocess.run(["curl.exe", "-s", "--ntlm", "-u", f"{USER}:{PASSWORD}", "-D", dump,
                              "-w", "\n%{http_code}", *extra, url], capture_output=True, text=True,
                             encoding="utf-8", errors="replace", timeout=60)
        with open(dump, encoding="latin-1") as f:
            headers = last_response_headers(f.read())
    body, _, status = out.stdout.rpartition("\n")
    return Reply(int(status or 0), body, headers)


def last_response_headers(dump: str) -> dict[str, str]:
    """curl -D writes the head of every response (NTLM's 401s first), CRLF-terminated: the last
    one's fields, names in lower case."""
    heads = [head for head in dump.replace("\r\n", "\n").split("\n\n") if head.strip()]
    fields = [line.partition(":") for line in (heads[-1].splitlines()[1:] if heads else [])]
    return {name.strip().lower(): value.strip() for name, _, value in fields}


def user_name_matches(name: str | None) -> bool:
    """MACHINE\\smoke-user on Windows (the container's name in front), FLASKIIS\\smoke-user here."""
    return bool(name) and "\\" in name and name.rsplit("\\", 1)[1].lower() == USER
