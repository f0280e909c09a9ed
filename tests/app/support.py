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
