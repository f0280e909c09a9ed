"""What the app tests share beside their fixtures: the address IIS has in them."""

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
