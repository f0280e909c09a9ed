"""A load generator with nothing but Python's standard library, for where wrk is not (Windows):
several processes, each keeping its share of the connections open and sending GETs on them for a
bounded time. Its ceiling is lower than wrk's, so compare paths measured with the same generator.
scripts/benchmark uses it with --load python."""
from __future__ import annotations

import http.client
import multiprocessing
import threading
import time
from urllib.parse import urlsplit


def _connection_loop(url: str, until: float, latencies: list, errors: list) -> None:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=30)
    while time.monotonic() < until:
        started = time.monotonic()
        try:
            conn.request("GET", target)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors.append(response.status)
        except (OSError, http.client.HTTPException) as exc:
            errors.append(repr(exc))
            conn.close()
            conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=30)
            continue
        latencies.append(time.monotonic() - started)
    conn.close()


def _process(url: str, connections: int, seconds: float, results) -> None:
    until = time.monotonic() + seconds
    latencies, errors = [], []
    threads = [threading.Thread(target=_connection_loop, args=(url, until, latencies, errors))
               for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put((latencies, errors))


def run(url: str, seconds: float, connections: int, processes: int = 4) -> tuple[float, float, list]:
    """(requests per second, p99 in ms, errors) over `seconds`, `connections` spread over processes."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    shares = [connections // processes + (1 if i < connections % processes else 0) for i in range(processes)]
    workers = [context.Process(target=_process, args=(url, share, seconds, results)) for share in shares if share]
    for worker in workers:
        worker.start()
    latencies, errors = [], []
    for _ in workers:
        got, failed = results.get(timeout=seconds + 120)
        latencies += got
        errors += failed
    for worker in workers:
        worker.join()
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99)] * 1000 if latencies else 0.0
    return len(latencies) / seconds, p99, errors
