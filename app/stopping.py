"""How a stop reaches the app: a console control event on Windows (what `docker stop` sends there),
SIGTERM or SIGINT elsewhere. Both end in the same call, on_stop_event, which runs the given stop
(a waitress drain, or the workers' stop) and returns once it is done."""
from __future__ import annotations

import ctypes
import os
import signal
import threading

# HandlerRoutine's events (Microsoft, "HandlerRoutine callback function"). `docker stop` of a
# Windows container sends CTRL_SHUTDOWN_EVENT (moby/moby#25982, Microsoft's answer there); the
# process is ended as soon as the handler returns, so the handler returns only once drained.
CTRL_C_EVENT, CTRL_BREAK_EVENT, CTRL_CLOSE_EVENT, CTRL_LOGOFF_EVENT, CTRL_SHUTDOWN_EVENT = 0, 1, 2, 5, 6
STOP_EVENTS = frozenset({CTRL_C_EVENT, CTRL_BREAK_EVENT, CTRL_CLOSE_EVENT, CTRL_SHUTDOWN_EVENT})


def on_stop_event(stop, event: int) -> bool:
    """A console control handler's body: for a stop event, stop (blocking) and say it was handled;
    any other event goes to the next handler. Windows calls it on a thread of its own."""
    if event not in STOP_EVENTS:
        return False
    stop()
    return True


def install(stop) -> None:
    """stop: a callable that returns once the process may end (it may be called more than once)."""
    if os.name == "nt":
        _install_console_handler(stop)
    else:
        # A signal handler runs in the main thread, which is the server's loop: stop beside it.
        def on_signal(signum, frame):
            threading.Thread(target=on_stop_event, args=(stop, CTRL_SHUTDOWN_EVENT), daemon=True).start()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)


# Kept referenced for the life of the process: Windows calls it from outside Python's view.
_handler = None


def _install_console_handler(stop) -> None:
    """SetConsoleCtrlHandler(HandlerRoutine, TRUE) through ctypes (Microsoft, "SetConsoleCtrlHandler
    function"): BOOL WINAPI HandlerRoutine(DWORD dwCtrlType)."""
    global _handler
    routine = ctypes.WINFUNCTYPE(ctypes.c_int, ctypes.c_ulong)
    _handler = routine(lambda event: 1 if on_stop_event(stop, event) else 0)
    if not ctypes.windll.kernel32.SetConsoleCtrlHandler(_handler, 1):
        raise ctypes.WinError()
