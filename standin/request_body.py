"""The client's request body, taken in whole before the backend is contacted (B64): in memory while
a budget shared by every request allows, in a file on disk past it. A slow upload of any size then
costs the app nothing until it is complete, and the stand-in's memory stays under the budget
whatever number of uploads stall. maxAllowedContentLength holds for chunked bodies too, and
HTTP.sys's EntityBody timer bounds the wait for each next piece (B70)."""
from __future__ import annotations

import asyncio
import tempfile

from .http_sys import MalformedBody

# A body is kept in memory up to this size, if the budget has room; past it, on disk.
IN_MEMORY = 1024 * 1024


class BodyTooLarge(Exception):
    pass


class MemoryBudget:
    """Bytes of request bodies held in memory by all requests of this process at once."""

    def __init__(self, limit: int):
        self.limit, self.used = limit, 0

    def take(self, size: int) -> bool:
        if self.used + size > self.limit:
            return False
        self.used += size
        return True

    def give_back(self, size: int) -> None:
        self.used -= size


class SpooledBody:
    """Reads the whole body (read_all), then is what the backend request sends (its length known).
    aiohttp wraps errors raised while sending, so the verdicts are kept here to be read afterwards."""

    def __init__(self, content, limit: int, wait: float, budget: MemoryBudget, spool_dir: str | None):
        self.content, self.limit, self.wait = content, limit, wait
        self.budget, self.spool_dir = budget, spool_dir
        self.memory, self.taken, self.file, self.size = bytearray(), 0, None, 0
        self.too_large = self.stalled = self.malformed = False

    async def next_chunk(self) -> bytes:
        try:
            return await asyncio.wait_for(self.content.readany(), self.wait)
        except asyncio.TimeoutError:
            self.stalled = True
            raise
        except MalformedBody:
            self.malformed = True
            raise

    async def read_all(self) -> None:
        while chunk := await self.next_chunk():
            self.size += len(chunk)
            if self.size > self.limit:
                self.too_large = True
                raise BodyTooLarge()
            self.keep(chunk)

    def keep(self, chunk: bytes) -> None:
        if self.file is None and self.size <= IN_MEMORY and self.budget.take(len(chunk)):
            self.memory += chunk
            self.taken += len(chunk)
            return
        if self.file is None:
            self.file = tempfile.TemporaryFile(dir=self.spool_dir)
            self.file.write(self.memory)
            self.release_memory()
        self.file.write(chunk)

    def release_memory(self) -> None:
        self.budget.give_back(self.taken)
        self.memory, self.taken = bytearray(), 0

    def data(self):
        """What aiohttp sends: bytes, or the spooled file from its start (its length is known)."""
        if self.file is None:
            return bytes(self.memory)
        self.file.seek(0)
        return self.file

    def close(self) -> None:
        self.release_memory()
        if self.file is not None:
            self.file.close()
            self.file = None
