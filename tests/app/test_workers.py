"""waitress' worker processes (APP_WORKERS above 1, app/workers.py), as the launcher runs them on
Windows and on the Linux stack: one address, replaced when they die, stopping together."""
import json
import os
import signal
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from tests.app.support import refused, wait_for_workers, worker_pids
from tests.support import wait_until


def test_waitress_workers_share_one_address_and_all_answer(app_server):
    """APP_WORKERS for waitress (app/workers.py): several processes behind one socket, the same
    launcher code as on Windows, where spawn is the only start method."""
    s = app_server("waitress", APP_WORKERS="3", APP_DIAGNOSTICS="true")
    wait_for_workers(s, 3)

    def process(_):
        with urllib.request.urlopen(s.url("/_diagnostics"), timeout=10) as r:
            return json.load(r)["process"]

    with ThreadPoolExecutor(12) as pool:
        answered = set(pool.map(process, range(300)))
    assert answered <= worker_pids(s.proc.pid) and len(answered) >= 2, answered


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
