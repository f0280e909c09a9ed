"""ASP.NET's path checks, which a managed module registered without a precondition brings onto every
request of the site, ARR's included (B79; docs/windows.md W38): they run before the module's first
event, after IIS's authentication, and answer for the request when they refuse it.

Sources: microsoft/referencesource System.Web/HttpApplication.cs (ValidateHelper), HttpRequest.cs
(ValidateInputIfRequiredByConfig: 400), CachedPathData.cs and Util/FileUtil.cs
(CheckSuspiciousPhysicalPath: 404)."""
from __future__ import annotations

import re

from .filtering import Rejection
from .model import Config

# Names Windows maps to devices whatever their extension, so that Path.GetFullPath does not give the
# path back as it was and ASP.NET's physical-path check refuses it. [INFERRED: the check compares
# with GetFullPath's result; System.Web holds no list of its own.]
DEVICE = re.compile(r"(CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])(\..*)?", re.IGNORECASE)
# Path.GetInvalidPathChars(): '"', '<', '>', '|' and the control characters.
INVALID_PATH_CHARS = re.compile(r'["<>|\x00-\x1f]')


def invalid_characters(setting: str) -> set[str]:
    """requestPathInvalidCharacters: a comma-separated list of characters ("" for none)."""
    return {c for c in setting.split(",") if c}


def suspicious(path: str) -> bool:
    """A path Windows would not map to the file it names: a device name, a segment ending in a dot
    or a space, a character no file name holds, or a ':' (a stream or a drive)."""
    segments = [s for s in path.split("/") if s]
    return (any(DEVICE.fullmatch(s) or s.endswith((".", " ")) for s in segments)
            or bool(INVALID_PATH_CHARS.search(path)) or ":" in path)


def check(config: Config, path: str, raw_query: str) -> Rejection | None:
    """path: decoded, as ASP.NET's Request.Path; raw_query: without the '?'."""
    if not config.managed_pipeline:
        return None
    runtime = config.http_runtime
    if len(path) > runtime["maxUrlLength"]:
        return Rejection(400, 0, "The length of the URL for this request exceeds the configured maxUrlLength value.")
    if len(raw_query) > runtime["maxQueryStringLength"]:
        return Rejection(400, 0, "The length of the query string for this request exceeds the configured"
                                 " maxQueryStringLength value.")
    found = [c for c in invalid_characters(runtime["requestPathInvalidCharacters"]) if c in path]
    if found:
        return Rejection(400, 0, "A potentially dangerous Request.Path value was detected from the client"
                                 f" ({found[0]}).")
    if not runtime["relaxedUrlToFileSystemMapping"] and suspicious(path):
        return Rejection(404, 0, "The resource cannot be found.")
    return None
