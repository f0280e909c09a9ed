"""Requests from a second client address: a small Python program run inside the app container
(python is in the app image on both OSes), reaching IIS by its service name. The host's own
requests come from another address, so per-client limits (IIS's Dynamic IP Restrictions) tell them
apart."""
from __future__ import annotations

# Opens N uploads that stall after one byte of their body, reads the answers that come at once (the
# ones IIS denied), says how many with which status, and holds the rest for HOLD seconds.
HOLD_UPLOADS = r"""
import select, socket, sys, time
host, prefix, count, hold = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
head = ("POST /%s/_diagnostics HTTP/1.1\r\nHost: %s\r\nContent-Length: 1000000\r\n\r\nx" % (prefix, host)).encode()
uploads = []
for _ in range(count):
    s = socket.create_connection((host, 80), timeout=10)
    s.sendall(head)
    uploads.append(s)
answers, deadline = {}, time.monotonic() + 5
while time.monotonic() < deadline:
    ready, _, _ = select.select([s for s in uploads if s not in answers], [], [], 0.5)
    for s in ready:
        answers[s] = s.recv(65536)
    if not ready and answers:
        break
statuses = sorted(a.split(b" ", 2)[1].decode() if a.startswith(b"HTTP/") else "closed" for a in answers.values())
print("DENIED", len(answers), " ".join(statuses), "|", b"|".join(a.split(b"\r\n\r\n", 1)[-1][:200] for a in answers.values())[:400].decode(errors="replace"), flush=True)
time.sleep(hold)
for s in uploads:
    s.close()
print("DONE", flush=True)
"""


def hold_uploads(container, prefix: str, count: int, hold: float):
    """Runs HOLD_UPLOADS in the container; yields its output lines as they come."""
    _, stream = container.exec_run(["python", "-c", HOLD_UPLOADS, "iis", prefix, str(count), str(hold)], stream=True)
    pending = ""
    for chunk in stream:
        pending += chunk.decode(errors="replace")
        while "\n" in pending:
            line, pending = pending.split("\n", 1)
            yield line
