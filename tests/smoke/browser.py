"""A real browser for the smoke suite: headless Chromium (or Chrome) driven by Playwright.

The browser is the system's, never downloaded: Debian's chromium on Linux (.ci/run installs it),
Google Chrome on Windows runners. SMOKE_BROWSER names another executable. None found is an error,
not a skip: a smoke suite that cannot click its links has proved nothing.
"""
from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

CANDIDATES = ["chromium", "chromium-browser", "google-chrome", "chrome"]
WINDOWS_CHROME = Path(os.environ.get("ProgramFiles", r"C:\Program Files")) / "Google/Chrome/Application/chrome.exe"
# Headless with nothing that reaches out to the network on its own.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def executable() -> str:
    named = os.environ.get("SMOKE_BROWSER")
    found = named or next(filter(None, map(shutil.which, CANDIDATES)), None)
    if not found and WINDOWS_CHROME.exists():
        found = str(WINDOWS_CHROME)
    if not found:
        raise RuntimeError(f"no browser for the smoke suite: install chromium, or set SMOKE_BROWSER "
                           f"(looked for {CANDIDATES} and {WINDOWS_CHROME})")
    return found


@contextlib.contextmanager
def page():
    """A page in a headless browser, closed (with the browser) on leaving."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable(), args=ARGS, headless=True)
        try:
            yield chromium.new_page()
        finally:
            chromium.close()
