"""What the app tests share beside their fixtures: the address IIS has in them, raw exchanges, and
the waitress worker processes of a launcher."""

# IIS's address in the app tests: the one proxy hop the hosting layer trusts (IIS_ADDRESS).
IIS = "172.30.50.10"


def send_raw(port: int, raw: bytes, timeout: float = 10) -> bytes:
    """Sends raw bytes to the app server on loopback and reads until it closes (send Connection: close)."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(raw)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return reply


def body_of(reply: bytes) -> bytes:
    """The body of an HTTP/1.1 reply, chunked (one chunk, as the app servers send small bodies) or not."""
    head, _, body = reply.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in head.lower():
        body = body.split(b"\r\n", 1)[1].rsplit(b"\r\n0\r\n", 1)[0]
    return body


class AsIis:
    """Wraps the hosted app as IIS's rule calls it: a request from IIS's address carries the client's
    Host as X-Original-Host (web.config, "Forward to Flask"). A test that sends its own, empty
    included, keeps it."""

    def __init__(self, app, host: str = "localhost"):
        self.app, self.host = app, host

    def __call__(self, environ, start_response):
        if environ.get("REMOTE_ADDR") == IIS and "HTTP_X_ORIGINAL_HOST" not in environ:
            environ["HTTP_X_ORIGINAL_HOST"] = environ.get("HTTP_HOST") or self.host
        return self.app(environ, start_response)


def iis_client(app):
    """A werkzeug test client for the hosted app, its requests from IIS as IIS sends them."""
    from werkzeug.test import Client

    return Client(AsIis(app))


def worker_pids(launcher_pid: int) -> set[int]:
    """The launcher's child processes that are workers (multiprocessing's spawn also starts a
    resource tracker, which runs no app)."""
    children = open(f"/proc/{launcher_pid}/task/{launcher_pid}/children").read().split()
    return {int(pid) for pid in children
            if "spawn_main" in open(f"/proc/{pid}/cmdline").read().replace("\0", " ")}


def wait_for_workers(s, count: int) -> set[int]:
    """Polls until the launcher has count workers; returns their process IDs."""
    from tests.support import wait_until

    def counted():
        pids = worker_pids(s.proc.pid)
        return pids if len(pids) == count else None

    return wait_until(counted, 30, f"{count} workers")


def refused(port: int) -> bool:
    """Whether a new connection to the port on loopback is refused."""
    import socket

    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return False
    except OSError:
        return True


# IIS's address in the ASGI tests, which go over the wire: a second loopback address, so that a
# test can send from IIS (this one) or from a direct client (127.0.0.1) to the same server.
IIS_LOOPBACK = "127.0.0.2"


def wire(port: int, method: str, target: str, headers=None, body=None, source: str = IIS_LOOPBACK,
         host: str | None = "localhost"):
    """One request over a socket from the given source address: (status, headers, body). A request
    from IIS carries the client's Host as X-Original-Host, as IIS's rule sends it, unless the test
    says otherwise (host=None: none)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15, source_address=(source, 0))
    headers = dict(headers or {})
    if source == IIS_LOOPBACK and host is not None:
        headers.setdefault("X-Original-Host", host)
    try:
        conn.request(method, target, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()
