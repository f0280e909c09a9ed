"""Stopping the app container with a request provably in flight: the request finishes with its 200
and the app logs that it drained, on both stacks. On Windows this is where the stop's delivery
(docs/windows.md W18, W35) is seen, not assumed: a stop that never reaches the app ends it
mid-request, and IIS answers 502 instead.

Two shapes, each with a stop that arrives while a request is answered: the stack's own app
(APP_WORKERS worker processes, through the proxy, stopped by compose with the file's
stop_grace_period) and the same image with APP_WORKERS=1 (a single process, straight to it)."""
from __future__ import annotations

import threading
import time

import requests

from tests.smoke.stopping import DELAY, STOP_LINES, in_flight_lines, stop_lines
from tests.support import http_ok, wait_until


class InFlight:
    """A GET that the app holds for DELAY seconds, on a thread: result() is its response."""

    def __init__(self, url: str):
        self.response, self.error = None, None
        self.thread = threading.Thread(target=self._get, args=(f"{url}?delay={DELAY}",), daemon=True)
        self.thread.start()

    def _get(self, url):
        try:
            self.response = requests.get(url, timeout=DELAY + 60)
        except requests.RequestException as exc:
            self.error = exc

    def result(self) -> requests.Response:
        self.thread.join(DELAY + 90)
        assert self.error is None, f"the request in flight failed: {self.error!r}"
        assert self.response is not None, "the request in flight did not come back"
        return self.response


def stop_with_a_request_in_flight(container, server: str, url: str, stop) -> tuple[requests.Response, list[str], float]:
    """Starts a request, waits until the app has logged it in flight, stops the container with
    stop(); returns the request's response, the stop lines this stop added to the container's log,
    and how long the stop took."""
    before, lines_before = in_flight_lines(container), len(stop_lines(container, server))
    request = InFlight(url)
    wait_until(lambda: in_flight_lines(container) > before, 30, "the app to log the request in flight",
               interval=0.2)
    started = time.monotonic()
    stop()
    took = time.monotonic() - started
    response = request.result()
    return response, stop_lines(container, server)[lines_before:], took


def check_drained(stack, container, response, lines: list[str], took: float) -> None:
    log = container.logs().decode(errors="replace")
    assert response.status_code == 200, (response.status_code, response.text[:500], log[-3000:])
    assert lines, f"no {STOP_LINES[stack.app_server]!r} in the app's log after the stop:\n{log[-3000:]}"
    container.reload()
    state = container.attrs["State"]
    print(f"stopped in {took:.1f}s, exit code {state['ExitCode']}, the request in flight answered 200; "
          "the app logged:\n  " + "\n  ".join(lines))
    if stack.os_type == "linux":
        # On Windows the system ends the process once its stop handler returns (Microsoft,
        # HandlerRoutine), so the code is the system's; here the app exits by itself.
        assert state["ExitCode"] == 0, state


def test_a_stop_finishes_the_request_in_flight_through_the_proxy(stack, s, base, prefix):
    assert int(s["APP_WORKERS"]) > 1, "this shape is the worker processes'; APP_WORKERS=1 is the next test"
    app = stack.container("app")
    try:
        response, lines, took = stop_with_a_request_in_flight(
            app, stack.app_server, f"{base}{prefix}/_diagnostics", lambda: stack.compose("stop", "app"))
        check_drained(stack, app, response, lines, took)
    finally:
        stack.compose("start", "app")
        wait_until(lambda: http_ok(f"{base}{prefix}/health"), 120, "the proxy to reach the restarted app",
                   interval=0.5)


def test_a_stop_finishes_the_request_in_flight_in_a_single_process(stack, s, prefix):
    service = stack.config()["services"]["app"]
    # The stack's own app environment (the hosted app's own settings included), one process.
    env = {**service["environment"], "APP_WORKERS": "1", "APP_DIAGNOSTICS": "true"}
    container = stack.client.containers.create(service["image"], environment=env)
    try:
        container.start()
        container.reload()
        address = next(iter(container.attrs["NetworkSettings"]["Networks"].values()))["IPAddress"]
        assert address, container.attrs["NetworkSettings"]
        url = f"http://{address}:{s['APP_PORT']}{prefix}"

        def answering():
            container.reload()
            assert container.status == "running", container.logs().decode(errors="replace")
            return http_ok(f"{url}/health")

        wait_until(answering, 120, "the single-process app to answer", interval=0.5)
        grace = int(s["APP_TIMEOUT_SECONDS"]) + 5  # as the compose files' stop_grace_period
        response, lines, took = stop_with_a_request_in_flight(
            container, stack.app_server, f"{url}/_diagnostics", lambda: container.stop(timeout=grace))
        check_drained(stack, container, response, lines, took)
    finally:
        container.remove(force=True)
