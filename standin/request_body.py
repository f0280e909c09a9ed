"""The client's request body as ARR passes it on (B64): each piece forwarded to the backend as it
arrives, after the headers, which keep the client's Content-Length (a chunked body goes on
chunked); nothing is held whole, so a slow upload costs the stand-in one piece of memory and the
backend a connection, as on IIS. The slow-body defence is the app server's (waitress reads a body
whole in its I/O loop before a thread runs the app), on both stacks.

maxAllowedContentLength holds for a chunked body as it streams (404.13 once it is passed), HTTP.sys's
EntityBody timer bounds the wait for each next piece (B70), and what becomes of the body is kept
here, since aiohttp wraps whatever ends the forwarding in errors of its own."""
from __future__ import annotations

import asyncio
import contextlib

from .http_sys import MalformedBody


class BodyTooLarge(Exception):
    pass


class StreamedBody:
    """pieces() is what the backend request sends; the verdicts say why it ended early."""

    def __init__(self, content, limit: int, wait: float):
        self.content, self.limit, self.wait = content, limit, wait
        self.too_large = self.stalled = self.malformed = self.client_gone = False
        self.reading: asyncio.Future | None = None  # the read waiting for the next piece

    async def pieces(self):
        size = 0
        while chunk := await self.next_chunk():
            size += len(chunk)
            if size > self.limit:
                self.too_large = True
                raise BodyTooLarge()
            yield chunk

    async def next_chunk(self) -> bytes:
        self.reading = asyncio.ensure_future(asyncio.wait_for(self.content.readany(), self.wait))
        try:
            return await self.reading
        except asyncio.TimeoutError:
            self.stalled = True
            raise
        except MalformedBody:
            self.malformed = True
            raise
        except (OSError, asyncio.IncompleteReadError, ConnectionError) as exc:
            self.client_gone = True  # the client went away mid-body: not the backend's failure
            raise ConnectionResetError("the client closed the connection") from exc

    async def stop(self) -> None:
        """Ends a read still waiting for the client once the forwarding is over (the backend failed
        or answered before the body's end), and waits until it has: aiohttp's server reads what is
        left of the body itself, and a second reader would be an error."""
        if self.reading is not None and not self.reading.done():
            self.reading.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.reading

    @property
    def ended_early(self) -> bool:
        return self.too_large or self.stalled or self.malformed or self.client_gone
