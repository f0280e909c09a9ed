"""WebSocket load for scripts/benchmark: echo round trips over several connections at once (round
trips a second and p99), and many idle WebSockets held open while something is measured."""
from __future__ import annotations

import asyncio
import time

from websockets.asyncio.client import connect

MESSAGE = "x" * 64


async def _echo(url: str, seconds: float, connections: int):
    latencies: list[float] = []

    async def one():
        async with connect(url, compression=None, open_timeout=30) as ws:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                started = time.perf_counter()
                await ws.send(MESSAGE)
                await ws.recv()
                latencies.append(time.perf_counter() - started)

    results = await asyncio.gather(*(one() for _ in range(connections)), return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99)] * 1000 if latencies else float("nan")
    return len(latencies) / seconds, p99, errors


def echo(url: str, seconds: float, connections: int) -> tuple[float, float, list]:
    """(round trips a second, p99 ms, errors) of `connections` WebSockets echoing for `seconds`."""
    return asyncio.run(_echo(url, seconds, connections))


async def _hold(url: str, count: int, measure):
    sockets, errors = [], []
    for _ in range(count):
        try:
            sockets.append(await connect(url, compression=None, ping_interval=None, open_timeout=30))
        except Exception as exc:  # noqa: BLE001 - counted and shown, not hidden
            errors.append(exc)
    await asyncio.sleep(0)
    result = await asyncio.to_thread(measure)
    for ws in sockets:
        await ws.close()
    return len(sockets), result, errors


def hold(url: str, count: int, measure):
    """Opens `count` WebSockets one after another, calls measure() while all are open, closes them:
    (how many opened, measure()'s result, errors)."""
    return asyncio.run(_hold(url, count, measure))
