"""What the stop tests read in the app's log: the request held in flight, and the line each app
server writes when a stop reaches it."""
from __future__ import annotations

# Seconds the app holds the request in flight (app/hosting/wsgi.py, /_diagnostics?delay=): long enough
# for the stop to arrive while it runs, far below APP_TIMEOUT_SECONDS.
DELAY = 5
IN_FLIGHT = "diagnostics: request in flight"
# waitress: app/server/stopping.py's line, from every process a stop reaches: which event or signal arrived
# in which process (on Windows, the evidence for docs/windows.md W18); gunicorn: its arbiter's.
STOP_LINES = {"waitress": "app: stop received", "gunicorn": "Handling signal: term"}


def in_flight_lines(container) -> int:
    return container.logs().decode(errors="replace").count(IN_FLIGHT)


def stop_lines(container, server: str) -> list[str]:
    return [line.strip() for line in container.logs().decode(errors="replace").splitlines()
            if STOP_LINES[server] in line]
