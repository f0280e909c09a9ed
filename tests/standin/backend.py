"""A backend for the stand-in's network tests: echoes requests, streams, stalls, redirects.

    python -m tests.standin.backend PORT
"""
import asyncio
import sys
import time

from aiohttp import web

MB = 1024 * 1024
# Body bytes every echo has read so far, and the slow requests being answered: tests wait on these
# to know their bodies have arrived, or their requests are in flight.
RECEIVED = {"bytes": 0, "slow_in_flight": 0}


async def echo(request: web.Request):
    size = 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        RECEIVED["bytes"] += len(chunk)
    return web.json_response({"method": request.method, "target": request.raw_path, "body_bytes": size,
                              "headers": [[k, v] for k, v in request.headers.items()]})


async def arrival(request):
    # When the request reached the backend (before its body is read): shows whether the proxy
    # held the body back. time.monotonic() is one clock for every process on Linux.
    arrived = time.monotonic()
    size = len(await request.read())
    return web.json_response({"arrived": arrived, "body_bytes": size})


async def big(request):
    total = int(request.query["mb"]) * MB
    resp = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
    resp.content_length = total
    await resp.prepare(request)
    block = b"x" * MB
    for _ in range(total // MB):
        await resp.write(block)
    return resp


async def trickle(request):
    # First chunk now, the second after a pause: shows whether the proxy streams or buffers.
    resp = web.StreamResponse()
    await resp.prepare(request)
    await resp.write(b"first\n")
    await asyncio.sleep(float(request.query.get("pause", "1.5")))
    await resp.write(b"second\n")
    return resp


async def slow(request):
    RECEIVED["slow_in_flight"] += 1
    try:
        await asyncio.sleep(float(request.query["s"]))
    finally:
        RECEIVED["slow_in_flight"] -= 1
    return web.Response(text="late")


async def redirect(request):
    raise web.HTTPFound(f"http://{request.host}/landing")


async def location(request):
    return web.Response(status=302, headers={"Location": request.query["to"]})


async def hop(request):
    """Every hop-by-hop response header there is, and one the Connection header lists: a proxy
    passes none of them on (RFC 9110 7.6.1)."""
    request.transport.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nKeep-Alive: timeout=5\r\n"
                            b"Proxy-Authenticate: Basic realm=x\r\nTrailer: X-T\r\nUpgrade: h2c\r\n"
                            b"Proxy-Connection: keep-alive\r\nConnection: close, X-Listed\r\nX-Listed: 1\r\n"
                            b"X-Kept: 1\r\n\r\nok")
    request.transport.close()
    return web.Response()  # to a connection already closed: never reaches the proxy


async def fault(request):
    """A backend that misbehaves on the wire: resets before answering, answers garbage, or dies
    half way through a body it announced."""
    kind = request.query["kind"]
    transport = request.transport
    if kind == "reset":
        transport.abort()
    elif kind == "garbage":
        transport.write(b"HTTP/1.1 TWO HUNDRED\r\n\r\n")
        transport.close()
    elif kind == "cut":
        transport.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n" + b"c" * 1000)
        await asyncio.sleep(0.2)
        transport.abort()
    return web.Response()  # to a connection already closed: never reaches the proxy


async def reset_mid_body(request):
    # A backend that goes away part way through a request body (a crash, a channel_timeout).
    await request.content.read(65536)
    request.transport.abort()
    return web.Response()


async def received(request):
    return web.json_response(RECEIVED)


async def fail(request):
    return web.json_response({"error": "backend says no"}, status=500)


def main():
    app = web.Application(client_max_size=0)
    app.router.add_get("/big", big)
    app.router.add_post("/arrival", arrival)
    app.router.add_get("/trickle", trickle)
    app.router.add_get("/slow", slow)
    app.router.add_get("/redirect", redirect)
    app.router.add_get("/fail", fail)
    app.router.add_get("/location", location)
    app.router.add_get("/fault", fault)
    app.router.add_get("/hop", hop)
    app.router.add_get("/received", received)
    app.router.add_post("/reset-mid-body", reset_mid_body)
    app.router.add_route("*", "/{tail:.*}", echo)
    # As many header lines as the stand-in passes on (HTTP.sys counts bytes, not lines).
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None,
                max_headers=8192)


if __name__ == "__main__":
    main()
