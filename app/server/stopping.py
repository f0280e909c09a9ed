"""How a stop reaches the app: a console control event on Windows (what `docker stop` sends there),
SIGTERM or SIGINT elsewhere. Both end in the same call, stop_received, which says what arrived and
runs the given stop (a waitress drain, or the workers' stop), returning once it is done."""
from __future__ import annotations

import ctypes
import logging
import os
import signal
import threading

log = logging.getLogger("app.server.stopping")

# HandlerRoutine's events (Microsoft, "HandlerRoutine callback function"). `docker stop` of a
# Windows container sends CTRL_SHUTDOWN_EVENT to the container's first process (moby/moby#25982,
# Microsoft's answers there); the process is ended as soon as the handler returns, so the handler
# returns only once drained.
CTRL_C_EVENT, CTRL_BREAK_EVENT, CTRL_CLOSE_EVENT, CTRL_LOGOFF_EVENT, CTRL_SHUTDOWN_EVENT = 0, 1, 2, 5, 6
EVENTS = {CTRL_C_EVENT: "CTRL_C_EVENT", CTRL_BREAK_EVENT: "CTRL_BREAK_EVENT", CTRL_CLOSE_EVENT: "CTRL_CLOSE_EVENT",
          CTRL_LOGOFF_EVENT: "CTRL_LOGOFF_EVENT", CTRL_SHUTDOWN_EVENT: "CTRL_SHUTDOWN_EVENT"}
STOP_EVENTS = frozenset({CTRL_C_EVENT, CTRL_BREAK_EVENT, CTRL_CLOSE_EVENT, CTRL_SHUTDOWN_EVENT})


def stop_received(stop, what: str) -> None:
    """Says which event or signal reached which process (on Windows, the evidence of whether the
    console handler is called at all: docs/windows.md W18), then stops, blocking until done."""
    log.warning("app: stop received: %s in process %s", what, os.getpid())
    stop()


def on_stop_event(stop, event: int) -> bool:
    """A console control handler's body: for a stop event, stop (blocking) and say it was handled;
    any other event goes to the next handler. Windows calls it on a thread of its own."""
    if event not in STOP_EVENTS:
        return False
    stop_received(stop, EVENTS[event])
    return True


def install(stop) -> None:
    """stop: a callable that returns once the process may end (it may be called more than once)."""
    if os.name == "nt":
        _install_console_handler(stop)
    else:
        # A signal handler runs in the main thread, which is the server's loop: stop beside it.
        def on_signal(signum, frame):
            threading.Thread(target=stop_received, args=(stop, signal.Signals(signum).name), daemon=True).start()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)


# Kept referenced for the life of the process: Windows calls it from outside Python's view.
_handler = None


def _install_console_handler(stop) -> None:
    """SetConsoleCtrlHandler(HandlerRoutine, TRUE) through ctypes (Microsoft, "SetConsoleCtrlHandler
    function"): BOOL WINAPI HandlerRoutine(DWORD dwCtrlType). Microsoft's page says the handler is
    not called for CTRL_SHUTDOWN_EVENT in a process that has loaded user32.dll (ctypes and OpenSSL
    load it): whether that holds in a container is what the Windows run's stop test shows, so the
    process says here whether it has (docs/windows.md W18)."""
    global _handler
    routine = ctypes.WINFUNCTYPE(ctypes.c_int, ctypes.c_ulong)
    _handler = routine(lambda event: 1 if on_stop_event(stop, event) else 0)
    # A kernel32 of its own: the signatures set here change no one else's.
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    if not kernel32.SetConsoleCtrlHandler(_handler, 1):
        raise ctypes.WinError(ctypes.get_last_error())
    kernel32.GetModuleHandleW.restype = ctypes.c_void_p
    kernel32.GetModuleHandleW.argtypes = [ctypes.c_wchar_p]
    user32 = "loaded" if kernel32.GetModuleHandleW("user32.dll") else "not loaded"
    log.warning("app: console stop handler installed in process %s (user32.dll %s)", os.getpid(), user32)
