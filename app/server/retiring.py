"""Kept-alive connections that retire: a connection older than KEEPALIVE_MAX_AGE ends after its next
response, which says so (Connection: close), so the client opens a new one. This file does it for
waitress; uvicorn's connections retire the same way (app/server/uvicorn_server.py, HostedH11Protocol).

Why: a proxy keeps its connections to the app open and reuses them (ARR does, and the stand-in),
so a waitress worker that replaces a dead one, or a swarm replica that joins, would get none of
them for as long as they live: after a replacement every pooled request stayed on the survivor.
Retired connections are opened again, and each new one goes to whichever process accepts it
first, so the load spreads again within about KEEPALIVE_MAX_AGE (issue 23; tests/app/test_workers.py).
Announced on a response, never by closing an idle connection, which a proxy may be reusing that
very moment."""
from __future__ import annotations

import time

from waitress.channel import HTTPChannel
from waitress.task import WSGITask

KEEPALIVE_MAX_AGE = 10.0  # seconds


class RetiringTask(WSGITask):
    def build_response_header(self):
        if time.time() - self.channel.creation_time > KEEPALIVE_MAX_AGE:
            self.set_close_on_finish()  # adds Connection: close before the headers are written
        return super().build_response_header()


class RetiringChannel(HTTPChannel):
    task_class = RetiringTask


def retire_connections(server) -> None:
    """For one server that waitress.create_server returned: its new connections retire."""
    server.channel_class = RetiringChannel
