"""Server-sent events: a stream the proxy must pass on as it is written, not when it ends."""
import json
import time

from flask import Blueprint, Response, request

blueprint = Blueprint("events", __name__)


@blueprint.get("/events")
def events():
    count = min(request.args.get("count", 5, type=int), 20)
    interval = min(request.args.get("interval", 1.0, type=float), 5.0)

    def stream():
        for n in range(count):
            if n:
                time.sleep(interval)
            yield f"id: {n}\nevent: tick\ndata: {json.dumps({'n': n, 'of': count})}\n\n"

    # no-cache: nothing on the way may hold or reuse it; the generator is sent chunk by chunk.
    return Response(stream(), mimetype="text/event-stream", headers={"Cache-Control": "no-cache"})
