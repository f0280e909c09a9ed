"""Stopping waitress without dropping requests: stop accepting, let what is in flight finish, close
idle connections, then end the server loop, all within a bound. gunicorn does the same by itself
(graceful_timeout); waitress has no such stop of its own (docs/windows.md W18)."""
from __future__ import annotations

import logging
import threading
import time

from waitress import wasyncore
from waitress.channel import HTTPChannel

log = logging.getLogger("app.server.drain")


class Drain:
    """Drains one waitress server (what waitress.create_server returns) in at most `bound` seconds.

    run() blocks until the server loop is told to end, from any thread, any number of times: the
    stop arrives on a thread of its own (a console control handler on Windows, app.server.stopping on both).
    Everything that touches waitress' sockets runs in its loop thread, through its trigger."""

    def __init__(self, server, bound: float, poll: float = 0.05):
        self.server, self.bound, self.poll = server, bound, poll
        self._lock = threading.Lock()
        self._started = False
        self.done = threading.Event()

    def run(self) -> None:
        with self._lock:
            first, self._started = not self._started, True
        if not first:
            self.done.wait()
            return
        started = time.monotonic()
        log.warning("app: stopping: no new connections; finishing what is in flight (at most %ss)", self.bound)
        self._in_loop(self._stop_accepting)
        open_channels = None
        while time.monotonic() - started < self.bound:
            open_channels = self._in_loop(self._close_idle)
            if not open_channels:
                break
            time.sleep(self.poll)
        if open_channels:
            log.warning("app: stop bound of %ss reached with %s connections busy: closing them", self.bound,
                        open_channels)
        log.warning("app: stopped after %.1fs", time.monotonic() - started)
        self._in_loop(self._end_loop)
        self.done.set()

    def _in_loop(self, fn, timeout: float = 5.0):
        """Runs fn in waitress' loop thread and returns its result (None if the loop is gone)."""
        result, ran = [], threading.Event()

        def thunk():
            try:
                result.append(fn())
            finally:
                ran.set()

        try:
            self.server.trigger.pull_trigger(thunk)
        except OSError:  # the trigger is closed: the loop has ended already
            return None
        ran.wait(timeout)
        return result[0] if result else None

    def _stop_accepting(self) -> None:
        # The listening socket only (BaseWSGIServer.close would close the trigger too).
        self.server.accepting = False
        wasyncore.dispatcher.close(self.server)

    def _close_idle(self) -> int:
        """Marks connections with no request in flight (nor one being received) to close; counts
        those still open. A marked connection closes at the loop's next turn, as waitress' own idle
        cleanup (BaseWSGIServer.maintenance) closes them."""
        still_open = 0
        for channel in list(self.server._map.values()):
            if isinstance(channel, HTTPChannel):
                still_open += 1
                if not channel.requests and channel.request is None:
                    channel.will_close = True
        return still_open

    def _end_loop(self) -> None:
        # The loop runs while its map holds sockets: emptying it ends server.run().
        self.server.task_dispatcher.shutdown(timeout=1)
        wasyncore.close_all(self.server._map)
