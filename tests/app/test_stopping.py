"""Which console control events stop the app (app.server.stopping): the handler body Windows calls is the
function the SIGTERM path calls (tests/app/test_servers.py drains a real waitress through it)."""
import pytest

from app.server import stopping


class Recorder:
    """Stands in for the drain here only to see whether an event reaches it."""

    def __init__(self):
        self.runs = 0

    def run(self):
        self.runs += 1


@pytest.mark.parametrize("event", sorted(stopping.STOP_EVENTS))
def test_stop_events_drain_and_are_handled(event):
    drain = Recorder()
    assert stopping.on_stop_event(drain.run, event) is True and drain.runs == 1


def test_the_event_docker_stop_sends_on_windows_is_a_stop_event():
    # moby/moby#25982: CTRL_SHUTDOWN_EVENT, value 6 in wincon.h (HandlerRoutine's documentation).
    assert stopping.CTRL_SHUTDOWN_EVENT == 6 and 6 in stopping.STOP_EVENTS


def test_a_logoff_event_is_left_to_the_next_handler():
    drain = Recorder()
    assert stopping.on_stop_event(drain.run, stopping.CTRL_LOGOFF_EVENT) is False and drain.runs == 0


def test_a_stop_says_what_arrived_in_which_process(caplog):
    import os

    drain = Recorder()
    with caplog.at_level("WARNING", logger="app.server.stopping"):
        assert stopping.on_stop_event(drain.run, stopping.CTRL_SHUTDOWN_EVENT)
    assert caplog.messages == [f"app: stop received: CTRL_SHUTDOWN_EVENT in process {os.getpid()}"]
