"""waitress' worker processes (APP_WORKERS above 1, app/server/workers.py), as the launcher runs them on
Windows and on the Linux stack: one address, replaced when they die, stopping together."""
import json
import os
import signal
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.app.support import refused, wait_for_workers, worker_pids
from tests.support import wait_until


def test_waitress_workers_share_one_address_and_all_answer(app_server):
    """APP_WORKERS for waitress (app/server/workers.py): several processes behind one socket, the same
    launcher code as on Windows, where spawn is the only start method."""
    s = app_server("waitress", APP_WORKERS="3", APP_DIAGNOSTICS="true")
    wait_for_workers(s, 3)

    def process(_):
        with urllib.request.urlopen(s.url("/_diagnostics"), timeout=10) as r:
            return json.load(r)["process"]

    answered: set[int] = set()

    def more_than_one_answered():
        # In rounds until two processes have answered (on a busy machine one process's loop can
        # take a whole round of accepts), at most 10 rounds of 300.
        with ThreadPoolExecutor(12) as pool:
            answered.update(pool.map(process, range(300)))
        return len(answered) >= 2

    wait_until(more_than_one_answered, 60, "a second worker to answer", interval=0)
    assert answered <= worker_pids(s.proc.pid), answered


def test_a_killed_waitress_worker_is_replaced(app_server):
    s = app_server("waitress", APP_WORKERS="2", APP_DIAGNOSTICS="true")
    before = wait_for_workers(s, 2)
    victim = sorted(before)[0]
    os.kill(victim, signal.SIGKILL)
    wait_until(lambda: len(worker_pids(s.proc.pid)) == 2 and victim not in worker_pids(s.proc.pid), 30,
               "the killed worker to be replaced")
    with urllib.request.urlopen(s.url("/health"), timeout=10) as r:
        assert r.status == 200
    assert "exited with -9: starting another" in s.log.read_text()


def test_waitress_workers_stop_together_and_finish_what_is_in_flight(app_server):
    s = app_server("waitress", APP_WORKERS="2", APP_DIAGNOSTICS="true")
    workers = wait_for_workers(s, 2)
    result = {}

    def slow_request():
        with urllib.request.urlopen(s.url("/_diagnostics?delay=2"), timeout=30) as r:
            result["status"] = r.status

    client = threading.Thread(target=slow_request)
    client.start()
    wait_until(lambda: "request in flight" in s.log.read_text(), 15, "the request to be in flight")
    s.proc.send_signal(signal.SIGTERM)
    wait_until(lambda: refused(s.port), 10, "new connections to be refused")
    client.join(timeout=30)
    assert result.get("status") == 200, s.log.read_text()
    assert s.proc.wait(timeout=15) == 0, s.log.read_text()
    assert not any(os.path.exists(f"/proc/{pid}") and "zombie" not in open(f"/proc/{pid}/status").read().lower()
                   for pid in workers)


def test_a_worker_killed_under_load_loses_at_most_what_it_was_answering(app_server):
    """8 clients on new connections each while one of 2 workers is killed (SIGKILL): the other goes
    on answering, the dead one is replaced, and at most one request per client fails (the one the
    dead worker had)."""
    s = app_server("waitress", APP_WORKERS="2", APP_DIAGNOSTICS="true")
    wait_for_workers(s, 2)
    stop, results, lock = threading.Event(), [], threading.Lock()

    def client():
        while not stop.is_set():
            try:
                with urllib.request.urlopen(s.url("/_diagnostics"), timeout=10) as r:
                    outcome = r.status
            except OSError as exc:
                outcome = repr(exc)
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: len(results) >= 200, 30, "traffic before the kill")
        victim = sorted(worker_pids(s.proc.pid))[0]
        os.kill(victim, signal.SIGKILL)
        wait_until(lambda: len(worker_pids(s.proc.pid)) == 2 and victim not in worker_pids(s.proc.pid), 30,
                   "the replacement")
        count = len(results)
        wait_until(lambda: len(results) >= count + 200, 30, "traffic after the replacement")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    failed = [r for r in results if r != 200]
    print(f"killed worker under load: {len(results)} requests, {len(failed)} failed {failed[:3]}")
    assert len(failed) <= len(threads), failed[:8]


def slow_requests(s, count: int, delay: float) -> tuple[list, list[threading.Thread]]:
    """count requests the app holds for delay seconds, each on a connection of its own; their
    outcomes (status or the error) land in the returned list."""
    results = []

    def one():
        try:
            with urllib.request.urlopen(s.url(f"/_diagnostics?delay={delay}"), timeout=60) as r:
                results.append(r.status)
        except OSError as exc:
            results.append(repr(exc))

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    return results, threads


def test_a_stop_after_workers_were_replaced_still_drains(app_server):
    """Issue 23: once a worker had been killed and replaced, a stop no longer drained (the workers
    went on accepting until the kill). After two replacements, slow requests in flight finish,
    new connections are refused at once, and the launcher exits 0 well before its bound."""
    s = app_server("waitress", APP_WORKERS="2", APP_DIAGNOSTICS="true", APP_TIMEOUT_SECONDS="20")
    for _ in range(2):
        victim = sorted(wait_for_workers(s, 2))[0]
        os.kill(victim, signal.SIGKILL)
        wait_until(lambda v=victim: len(worker_pids(s.proc.pid)) == 2 and v not in worker_pids(s.proc.pid), 30,
                   "the killed worker to be replaced")
    in_flight = s.log.read_text().count("request in flight")
    results, threads = slow_requests(s, 4, 2)
    wait_until(lambda: s.log.read_text().count("request in flight") >= in_flight + 4, 15, "4 requests in flight")
    s.proc.send_signal(signal.SIGTERM)
    wait_until(lambda: refused(s.port), 5, "new connections to be refused")
    for thread in threads:
        thread.join(timeout=30)
    assert results == [200] * 4, (results, s.log.read_text()[-3000:])
    assert s.proc.wait(timeout=10) == 0, s.log.read_text()[-3000:]


def test_workers_end_when_their_launcher_is_killed(app_server):
    """A launcher that dies without a stop (SIGKILL) takes no worker with it on its own: each worker's
    pipe closes with it, and the workers drain and end instead of serving on as orphans."""
    s = app_server("waitress", APP_WORKERS="2", APP_DIAGNOSTICS="true", APP_TIMEOUT_SECONDS="5")
    workers = wait_for_workers(s, 2)
    s.proc.kill()
    s.proc.wait(timeout=10)
    wait_until(lambda: not any(os.path.exists(f"/proc/{pid}") for pid in workers), 15, "the orphaned workers to end")


@pytest.mark.parametrize("server,settings", [
    ("waitress", {}),
    (None, {"APP_MODULE": "tests.app.asgi_apps:plain", "IIS_STATIC_FILES": "false"}),
], ids=["waitress", "uvicorn"])
def test_after_a_replacement_pooled_connections_reach_the_new_worker(app_server, server, settings):
    """A proxy's pool (8 kept-alive connections, as ARR or the stand-in keeps them) stayed on the
    surviving worker after a replacement; kept-alive connections retire (app/server/retiring.py, and
    uvicorn_server.py's protocol), so the new worker answers some of them within KEEPALIVE_MAX_AGE
    and a margin."""
    import http.client

    from app.server.retiring import KEEPALIVE_MAX_AGE

    s = app_server(server, APP_WORKERS="2", APP_DIAGNOSTICS="true", **settings)
    victim, survivor = sorted(wait_for_workers(s, 2))
    pool = [http.client.HTTPConnection("127.0.0.1", s.port, timeout=10) for _ in range(8)]

    def answered_by(conn) -> int | None:
        try:
            conn.request("GET", f"/{s.prefix}/_diagnostics")
            return json.load(conn.getresponse())["process"]
        except (OSError, http.client.HTTPException):
            conn.close()  # the dead worker's connection: the next request opens another
            return None

    try:
        for conn in pool:
            answered_by(conn)
        os.kill(victim, signal.SIGKILL)
        for conn in pool:  # the pool reconnects at once, while only the survivor accepts
            answered_by(conn)
        workers = wait_until(lambda: (lambda now: now if len(now) == 2 and victim not in now else None)(
            worker_pids(s.proc.pid)), 30, "the replacement")
        [new] = workers - {survivor}
        started = time.monotonic()
        bound = KEEPALIVE_MAX_AGE * 2 + 5

        def new_worker_answers():
            return any(answered_by(conn) == new for conn in pool)

        wait_until(new_worker_answers, bound, "a pooled connection to reach the new worker", interval=0.1)
        print(f"the new worker answered a pooled request {time.monotonic() - started:.1f}s after it started")
    finally:
        for conn in pool:
            conn.close()
