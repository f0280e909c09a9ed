"""A WebSocket backend that negotiates permessage-deflate whenever it is offered (the websockets
library's default, as uvicorn's): python -m tests.standin.ws_backend PORT. It echoes messages; the
text "headers" gets the handshake's headers back as JSON; "close:CODE" closes with that code; a
handshake to a path ending in /refuse is answered 403; any plain request is 200 (its readiness)."""
import asyncio
import json
import sys
from http import HTTPStatus

from websockets.asyncio.server import serve


def plain_requests(connection, request):
    if request.path.endswith("/refuse"):
        return connection.respond(HTTPStatus.FORBIDDEN, "refused by the backend\n")
    if request.headers.get("Upgrade", "").lower() != "websocket":
        return connection.respond(HTTPStatus.OK, "ready\n")
    return None


async def echo(ws):
    async for message in ws:
        if message == "headers":
            await ws.send(json.dumps(dict(ws.request.headers.raw_items())))
        elif isinstance(message, str) and message.startswith("close:"):
            await ws.close(int(message[6:]), "backend closes")
        else:
            await ws.send(message)


async def main(port: int):
    async with serve(echo, "127.0.0.1", port, process_request=plain_requests, max_size=None):
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
