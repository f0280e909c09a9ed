"""IIS authentication at AuthenticateRequest (after the rewrite rules ran, before ARR or the site),
and the sign-on module at PostAuthenticateRequest (iis/RemoteUserHeaderModule.cs): the one part of
the stand-in that stands in for something it cannot do.

Windows Authentication (Negotiate, then NTLM) needs a Windows account database; the stand-in takes
HTTP Basic credentials checked against a users file instead, and answers exactly as IIS does
otherwise: a 401 with IIS's two challenges, 401.2 without credentials, 401.1 with wrong ones
(docs/standin.md B76, B77)."""
from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass
from pathlib import Path

from .model import Config

# What IIS's Windows authentication module offers when it challenges, one header each, in the
# providers' default order (Microsoft, "Windows Authentication Providers <providers>").
CHALLENGES = ("Negotiate", "NTLM")
# The header the sign-on module sets, and every spelling a WSGI server could fold into the same key.
REMOTE_USER_HEADER = "X-Remote-User"


def folds_into_remote_user(name: str) -> bool:
    return name.replace("_", "-").lower() == REMOTE_USER_HEADER.lower()


def read_users(path: Path | None) -> dict[str, str]:
    """name:password per line ('#' comments); a missing file is no users (every credential fails)."""
    if path is None or not path.exists():
        return {}
    users = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, sep, password = line.partition(":")
            if not sep:
                raise ValueError(f"{path}: a line is not name:password")
            users[name.strip()] = password
    return users


@dataclass(frozen=True)
class Verdict:
    user: str | None = None  # the authenticated name, or None (anonymous)
    substatus: int | None = None  # set when the answer is 401: 1 wrong credentials, 2 none accepted


class Authentication:
    def __init__(self, config: Config, users: dict[str, str]):
        self.config, self.users = config, users

    def enabled(self, path: str) -> tuple[bool, bool]:
        """(anonymous, windows) for a URL path: per attribute, the longest <location> that sets it
        (IIS's configuration inheritance), else IIS's defaults (anonymous on, Windows off)."""
        found = {"anonymous": True, "windows": False}
        target = path.strip("/").lower()
        for where in sorted(self.config.authentication, key=len):
            if where == "" or target == where or target.startswith(where + "/"):
                found.update(self.config.authentication[where])
        return found["anonymous"], found["windows"]

    def authenticate(self, path: str, authorization: str | None) -> Verdict:
        anonymous, windows = self.enabled(path)
        if windows and authorization:
            user = self.basic_user(authorization)
            return Verdict(user=user) if user else Verdict(substatus=1)
        if anonymous:
            return Verdict()
        return Verdict(substatus=2)

    def basic_user(self, authorization: str) -> str | None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            name, _, password = base64.b64decode(token.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        expected = self.users.get(name)
        return name if expected is not None and hmac.compare_digest(expected, password) else None

    def header_changes(self, headers: list[tuple[str, str]], user: str | None) -> dict[str, str | None]:
        """What the sign-on module does to the request ARR forwards: every client copy of the header
        removed, in any spelling, then the authenticated name set. Registered with a preCondition
        (managedHandler), it would not run for ARR's native handler: nothing is changed then."""
        changes: dict[str, str | None] = {}
        if user is not None:
            # The Basic credentials stand for Windows' handshake, which carries a token, never a
            # password: none reaches the app (B77). [INFERRED: ARR forwards a client's Negotiate or
            # NTLM token on the handshake's last request only, a token the app cannot use]
            changes["authorization"] = None
        if self.config.remote_user_module != "":
            return changes
        changes.update({name.lower(): None for name, _ in headers if folds_into_remote_user(name)})
        changes[REMOTE_USER_HEADER.lower()] = user
        return changes
