"""Several app-server processes on one listening socket (APP_WORKERS: waitress' for a WSGI app,
uvicorn's for an ASGI app), so that the app's Python work uses more than one core: the launcher
binds the address once, starts the workers with the socket, replaces one that dies, and stops them
together, each draining what it is answering.

The socket reaches each worker through multiprocessing's "spawn" start method, the only one Windows
has: Python pickles a socket for a child with socket.share() and socket.fromshare() on Windows and by
passing its file descriptor elsewhere (Python documentation, socket.share; multiprocessing), so the
same code runs on both, and Linux tests it. waitress and uvicorn both serve sockets they are given
(waitress' `sockets` setting, uvicorn's `Server.serve(sockets=...)`). One address, no second port,
nothing to change in IIS."""
from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import socket
import threading
import time

from . import stopping

log = logging.getLogger("app.server.workers")

# Connections the kernel queues for the shared socket before a worker accepts them.
BACKLOG = 1024

# A worker that dies within this many seconds of its start is replaced only after the same pause:
# an app that cannot start must not become a busy loop of restarts.
RESTART_PAUSE = 1.0


def bind(host: str, port: int, backlog: int) -> socket.socket:
    """The one listening socket, bound in the launcher before any worker starts."""
    return socket.create_server((host, port), backlog=backlog, reuse_port=False)


def wait_for_stop(pipe) -> None:
    """A worker's wait for the stop: the launcher closes its end of the worker's pipe when the
    workers are to drain, and the system closes it when the launcher is gone, so a worker never
    outlives its launcher."""
    try:
        pipe.recv_bytes()
    except (EOFError, OSError):
        pass


class Workers:
    """count processes on sock, each running serve(sock, pipe) (a picklable, module-level
    callable); pipe is the reading end of a pipe of the worker's own, whose other end the launcher
    closes when the workers are to drain.

    A pipe each, not one shared multiprocessing.Event: Event.set() waits for every process that
    ever waited on it to wake, so after one worker was killed mid-wait the launcher's stop hung
    and no worker drained (issue 23)."""

    def __init__(self, sock: socket.socket, serve, count: int, bound: float):
        self.sock, self.serve, self.count, self.bound = sock, serve, count, bound
        self.context = multiprocessing.get_context("spawn")
        self.processes: list = []
        self.stopping = threading.Event()
        self.done = threading.Event()
        # Held while the workers change and while the stop closes their pipes, so no worker is
        # started after the stop has told the others.
        self.lock = threading.Lock()

    def start_one(self):
        reader, writer = self.context.Pipe(duplex=False)
        process = self.context.Process(target=self.serve, args=(self.sock, reader), daemon=False)
        process.start()
        reader.close()  # the worker has its own copy; the launcher keeps only the end it closes
        process.started, process.stop_pipe = time.monotonic(), writer
        self.processes.append(process)
        log.warning("app: worker %s started (%s of %s)", process.pid, len(self.processes), self.count)

    def run(self) -> int:
        """Starts the workers and keeps their number until stop() is called; returns 0."""
        with self.lock:
            for _ in range(self.count):
                self.start_one()
        while not self.stopping.is_set():
            multiprocessing.connection.wait([p.sentinel for p in self.processes], timeout=0.5)
            for process in [p for p in self.processes if not p.is_alive()]:
                with self.lock:
                    self.processes.remove(process)
                    process.stop_pipe.close()
                if self.stopping.is_set():
                    continue
                log.warning("app: worker %s exited with %s: starting another", process.pid, process.exitcode)
                if time.monotonic() - process.started < RESTART_PAUSE:
                    self.stopping.wait(RESTART_PAUSE)
                with self.lock:
                    if not self.stopping.is_set():
                        self.start_one()
        return self.wait_for_workers()

    def stop(self) -> None:
        """Stops replacing workers and tells each to drain, by closing its pipe: the same on every
        OS (a container's stop reaches the launcher only on Linux, and Windows' console events are
        not a way to address one process)."""
        with self.lock:
            self.stopping.set()
            # The launcher's copy of the listening socket goes first, so that once each worker has
            # closed its own, new connections are refused instead of queueing for nobody.
            self.sock.close()
            for process in self.processes:
                process.stop_pipe.close()

    def stop_and_wait(self) -> None:
        """The launcher's stop: the workers drain, and this returns once run() has finished."""
        self.stop()
        self.done.wait()

    def wait_for_workers(self) -> int:
        """Waits for the draining workers (their own bound, and a second more), then ends the rest."""
        deadline = time.monotonic() + self.bound + 1
        for process in list(self.processes):
            process.join(max(0.0, deadline - time.monotonic()))
        for process in self.processes:
            if process.is_alive():
                log.warning("app: worker %s did not stop within %ss: ended", process.pid, self.bound)
                process.kill()
                process.join()
        self.done.set()
        return 0


def run_workers(s, serve_on_socket, server_name: str) -> None:
    """The launcher with APP_WORKERS above 1, for either server: binds the address once, starts the
    workers on it (each running serve_on_socket), and on a stop has them drain together."""
    workers = Workers(bind(s.bind_address, s.port, BACKLOG), serve_on_socket, s.workers, s.timeout_seconds)
    stopping.install(workers.stop_and_wait)
    print(f"Serving on http://{s.bind_address}:{s.port} from {s.workers} {server_name} processes", flush=True)
    workers.run()
