"""The stand-in's log output: one line per request, like IIS's W3C log, written in batches.

Behind Docker every write is a message through the container's log pipeline; writing a batch of
lines at once (at least every second, at once for warnings) costs the engine far less than one
write per line. IIS buffers its own log longer: about a minute.
"""
from __future__ import annotations

import asyncio
import logging
import sys

FLUSH_SECONDS = 1.0


class BatchedStream(logging.Handler):
    def __init__(self, stream=None, capacity: int = 256):
        super().__init__()
        self.stream = stream or sys.stdout
        self.capacity = capacity
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
        if len(self.lines) >= self.capacity or record.levelno >= logging.WARNING:
            self.flush()

    def flush(self) -> None:
        with self.lock:
            if self.lines:
                self.stream.write("\n".join(self.lines) + "\n")
                self.lines.clear()
            self.stream.flush()


def configure() -> BatchedStream:
    handler = BatchedStream()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    return handler


async def flush_periodically(handler: BatchedStream) -> None:
    try:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            handler.flush()
    finally:
        handler.flush()
