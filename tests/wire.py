"""Hostile and malformed requests, as raw bytes, with the answer HTTP.sys/IIS gives and its source:
sent to the stand-in directly (tests/standin/test_hostile_wire.py) and through the whole stack
(tests/smoke). Only the standard library, so the smoke suite can use it on Windows too."""
import socket

KB820129 = "HTTP.sys registry settings, KB 820129"
# Microsoft-HTTPAPI: HTTP.sys's own answers, unless the image sets DisableServerHeader (Dockerfile.iis).
LEAKS = (b"aiohttp", b"Python/", b"Traceback", b"HttpProcessingError", b"BadStatusLine", b"Microsoft-IIS",
         b"Microsoft-HTTPAPI")

# (id, raw request, expected status or None for "closed without a reply", source)
CASES = [
    ("not-http", b"GARBAGE\r\n\r\n", 400, "RFC 9112 2.2 (a malformed request line)"),
    ("bad-version", b"GET /api/x HTTP/9.9\r\nHost: h\r\n\r\n", 400, "RFC 9112 2.3"),
    ("nul-in-path", b"GET /api/\x00x HTTP/1.1\r\nHost: h\r\n\r\n", 400, f"{KB820129}: AllowRestrictedChars"),
    ("field-over-maxfieldlength", b"GET /api/x HTTP/1.1\r\nHost: h\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n", 400,
     f"{KB820129}: MaxFieldLength 16384"),
    ("headers-over-maxrequestbytes", b"GET /api/x HTTP/1.1\r\nHost: h\r\n"
     + b"".join(b"X-F%d: %s\r\n" % (i, b"b" * 1000) for i in range(20)) + b"\r\n", 400,
     f"{KB820129}: MaxRequestBytes 16384 (request line and headers)"),
    ("bad-chunk-size", b"POST /api/x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
     400, "RFC 9112 7.1"),
    ("length-and-chunked", b"POST /api/x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked"
     b"\r\n\r\n0\r\n\r\n", 400, "RFC 9112 6.1 (a request smuggling vector)"),
    ("negative-length", b"GET /api/x HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400, "RFC 9110 8.6"),
    ("bad-escape", b"GET /%%%% HTTP/1.1\r\nHost: h\r\n\r\n", 400, "RFC 3986 2.1; HTTP.sys 400 Invalid URL [INFERRED]"),
    ("host-with-slash", b"GET /api/x HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, "HTTP.sys: 400 Invalid Hostname"),
    ("host-with-space", b"GET /api/x HTTP/1.1\r\nHost: a b\r\n\r\n", 400, "HTTP.sys: 400 Invalid Hostname"),
    ("host-with-comma", b"GET /api/x HTTP/1.1\r\nHost: a,b\r\n\r\n", 400, "HTTP.sys: 400 Invalid Hostname"),
    ("host-with-markup", b'GET /api/x HTTP/1.1\r\nHost: "><script>x\r\n\r\n', 400, "HTTP.sys: 400 Invalid Hostname"),
    ("two-hosts", b"GET /api/x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "RFC 9112 3.2"),
    ("no-host-http11", b"GET /api/x HTTP/1.1\r\n\r\n", 400, "RFC 9112 3.2"),
    ("no-host-http10", b"GET /api/x HTTP/1.0\r\n\r\n", 200, "RFC 9112 3.2 (Host is required from HTTP/1.1)"),
    ("absolute-form", b"GET http://public.example/api/x HTTP/1.1\r\nHost: other\r\n\r\n", 200,
     "RFC 9112 3.2.2 (absolute-form; the target's host wins)"),
    # HTTP.sys passes these on; the app answers them (through the stack: tests/smoke/test_stack.py).
    ("host-long-label", b"GET /api/x HTTP/1.1\r\nHost: " + b"a" * 10000 + b".example\r\n\r\n", 200,
     f"{KB820129}: a Host within MaxFieldLength [INFERRED: HTTP.sys documents no label limit]; the app "
     "refuses a label over 63 characters (RFC 1035 2.3.4) with 400"),
    ("many-header-lines", b"GET /api/x HTTP/1.1\r\nHost: h\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(150))
     + b"\r\n", 200, f"{KB820129}: MaxRequestBytes bounds the headers' bytes, not their number"),
    # Issue 23: 1,700 compact lines, 15,300 bytes of headers as sent; counted a byte longer each, 17,000.
    ("compact-header-lines", b"GET /api/x HTTP/1.1\r\nHost: h\r\n" + b"".join(b"a%04d:b\r\n" % i for i in range(1700))
     + b"\r\n", 200, f"{KB820129}: MaxRequestBytes 16384, the lines' bytes as sent [INFERRED: how it counts a line]"),
    ("nul-hidden-by-dots", b"GET /api/x%00/../y HTTP/1.1\r\nHost: h\r\n\r\n", 400,
     f"{KB820129}: AllowRestrictedChars, on the URL as sent [INFERRED: before its dot segments go]"),
    ("http-0.9", b"GET /api/x\r\n\r\n", 400,
     "RFC 9112 2.3 (HTTP/1.1 has a version on the request line) [INFERRED: an IIS 7 report served HTTP/0.9; "
     "the Windows run says what IIS 10 does]"),
]


def exchange(port: int, raw: bytes, until_closed: bool = False) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
        sock.sendall(raw)
        reply = b""
        try:
            while chunk := sock.recv(65536):
                reply += chunk
                if (not until_closed and raw.startswith(b"GET") and b"\r\n\r\n" in reply
                        and b"Connection: close" not in reply):
                    break  # a kept-alive answer: the status and headers are what is checked
        except (ConnectionResetError, TimeoutError, socket.timeout):
            pass
    return reply


# Paths IIS passes to the app that ASP.NET's own checks would refuse once a managed module runs for
# every request, as the sign-on module does (docs/windows.md W38, docs/standin.md B79): relative to
# the app's prefix, with what ASP.NET answers unless web.config's httpRuntime relaxes the check.
# The long one is over 260 characters in segments HTTP.sys takes (at most 260 each).
REFERENCESOURCE = "microsoft/referencesource System.Web"
ASPNET_PATHS = [
    ("colon", "/a:b", 400, f"{REFERENCESOURCE} HttpRequest.cs: requestPathInvalidCharacters"),
    ("ampersand", "/a&b", 400, f"{REFERENCESOURCE} HttpRequest.cs: requestPathInvalidCharacters"),
    ("star", "/a*b", 400, f"{REFERENCESOURCE} HttpRequest.cs: requestPathInvalidCharacters"),
    ("less-than", "/a%3Cb", 400, f"{REFERENCESOURCE} HttpRequest.cs: requestPathInvalidCharacters"),
    ("over-260", "/" + "/".join(["a" * 100] * 3), 400, f"{REFERENCESOURCE} HttpRequest.cs: maxUrlLength 260"),
    ("device-name", "/CON", 404, f"{REFERENCESOURCE} Util/FileUtil.cs: CheckSuspiciousPhysicalPath [INFERRED]"),
    ("device-name-with-extension", "/aux.txt", 404, f"{REFERENCESOURCE} Util/FileUtil.cs [INFERRED]"),
    ("trailing-dot", "/x.", 404, f"{REFERENCESOURCE} Util/FileUtil.cs [INFERRED]"),
]
