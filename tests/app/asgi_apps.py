"""ASGI apps for the hosting tests, none of them Starlette or FastAPI: what the hosting layer must
do for any ASGI 3 app, seen from inside it."""
import json


async def plain(scope, receive, send):
    """Echoes what it was given: root_path, path, the user header, the body's length; sets cookies."""
    if scope["type"] == "lifespan":
        while True:
            kind = (await receive())["type"]
            await send({"type": kind + ".complete"})
            if kind == "lifespan.shutdown":
                return
    if scope["type"] == "websocket":
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            await send({"type": "websocket.send", "text": message.get("text"), "bytes": message.get("bytes")})
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    headers = {k.decode(): v.decode() for k, v in scope["headers"]}
    seen = {"root_path": scope["root_path"], "path": scope["path"], "scheme": scope["scheme"],
            "client": scope["client"][0], "host": headers.get("host"), "user": headers.get("x-remote-user"),
            "body_bytes": len(body)}
    await send({"type": "http.response.start", "status": 200, "headers": [
        (b"content-type", b"application/json"), (b"set-cookie", b"pref=1; Path=/; HttpOnly"),
        (b"set-cookie", b"scoped=1; Path=/myApp/area")]})
    await send({"type": "http.response.body", "body": json.dumps(seen).encode()})


async def stuck_in_startup(scope, receive, send):
    """An app whose lifespan startup never completes (waiting for a database that is not there)."""
    import asyncio

    if scope["type"] == "lifespan":
        await receive()
        await asyncio.Event().wait()
