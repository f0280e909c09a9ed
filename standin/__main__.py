"""python -m standin serve|test — see docs/standin.md."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from urllib.parse import urlsplit

from . import filtering
from .authentication import Authentication, read_users
from .config import ConfigError, load
from .engine import evaluate
from .options import Options, Timeouts
from .request import Request

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)

def _common(p: argparse.ArgumentParser):
    p.add_argument("--users-file", type=Path,
                   help="name:password lines standing for Windows accounts: HTTP Basic credentials checked against"
                        " them stand for Windows Authentication (a missing file: no accounts)")
    p.add_argument("--web-config", required=True, type=Path, help="the site's web.config")
    p.add_argument("--settings", type=Path, help="server-level settings file (applicationHost.config fragment)")
    p.add_argument("--expand-env", action="store_true",
                   help="replace %%NAME%% in attribute values with environment variables (unset ones are an error)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="standin", description="IIS + URL Rewrite + ARR stand-in (test tool)")
    sub = parser.add_subparsers(dest="command", required=True)

    serve_p = sub.add_parser("serve", help="run as an HTTP(S) server")
    _common(serve_p)
    serve_p.add_argument("--site-root", type=Path, help="physical path of the site (default: web.config's folder)")
    serve_p.add_argument("--listen", action="append", default=[], metavar="HOST:PORT")
    serve_p.add_argument("--https-listen", action="append", default=[], metavar="HOST:PORT")
    serve_p.add_argument("--cert", help="PEM certificate chain, for --https-listen")
    serve_p.add_argument("--key", help="PEM private key, for --https-listen")
    serve_p.add_argument("--pfx", type=Path, help="PKCS#12 certificate and key (what IIS binds), for --https-listen")
    serve_p.add_argument("--pfx-password-file", type=Path)
    serve_p.add_argument("--processes", type=int, default=1, metavar="N",
                         help="serve from N processes sharing the ports (SO_REUSEPORT); 0 = one per CPU")
    defaults = Timeouts()
    for name, help_text in (("header-wait", "until a request's headers must be complete"),
                            ("idle-connection", "a kept-alive connection may wait for its next request"),
                            ("entity-body", "the longest wait for the next piece of a request body")):
        serve_p.add_argument(f"--{name}", type=float, default=getattr(defaults, name.replace("-", "_")),
                             metavar="SECONDS", help=f"HTTP.sys timer: seconds {help_text} (default %(default)s, "
                                                     "HTTP.sys's)")
    serve_p.add_argument("--min-bytes-per-second", dest="min_send_rate", type=float, default=defaults.min_send_rate,
                         metavar="RATE", help="HTTP.sys MinSendRate: a client reading a response slower is cut off"
                                              " (default %(default)s)")
    serve_p.add_argument("--https-if-present", metavar="HOST:PORT",
                         help="listen with HTTPS here when the --pfx file exists (a certificate folder mounted at "
                              "start), else only on --listen: the rule iis/Start-Iis.ps1 follows on Windows")

    test_p = sub.add_parser("test", help="evaluate one request without a network and print JSON")
    _common(test_p)
    test_p.add_argument("url", help="e.g. http://localhost/myApp/help?x=1")
    test_p.add_argument("--method", default="GET")
    test_p.add_argument("-H", "--header", action="append", default=[], metavar="'Name: value'")
    test_p.add_argument("--remote-addr", default="127.0.0.1")
    test_p.add_argument("--site-root", type=Path)
    test_p.add_argument("--content-length", type=int)
    return parser


def main(argv=None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        config = load(args.web_config, args.settings, expand_env=args.expand_env)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    site_root = args.site_root or args.web_config.resolve().parent
    if args.command == "test":
        return _test(args, config, site_root)
    if not args.listen and not args.https_listen:
        parser.error("serve needs --listen and/or --https-listen")
    from .logs import configure

    log_handler = configure()
    try:
        tls = _tls(args)
    except (OSError, ValueError) as exc:
        print(f"certificate error: {exc}", file=sys.stderr)
        return 2
    if args.https_listen and tls is None:
        parser.error("--https-listen needs --cert and --key, or --pfx")
    if args.https_if_present and tls is not None:
        args.https_listen.append(args.https_if_present)
    processes = args.processes or os.cpu_count() or 1
    children = _fork(processes)
    status = _run(_serve(args, config, site_root, tls, children, log_handler, shared=processes > 1))
    for pid in children:
        os.waitpid(pid, 0)
    return status


def _fork(processes: int) -> list[int]:
    """processes - 1 children serving beside this process; the children's ids (none in a child).
    Stop signals are held until each process has its handler (_serve): a stop that arrives while a
    child starts, or before the parent listens, is then handled, not the default end by signal."""
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    children: list[int] = []
    for _ in range(processes - 1):
        pid = os.fork()
        if pid == 0:  # a child serves, and has no children of its own
            return []
        children.append(pid)
    return children


def _run(coroutine) -> int:
    try:
        import uvloop  # libuv's event loop: fewer CPU cycles per forwarded request (docs/benchmark.md)
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def _tls(args):
    from . import tls

    if args.pfx:
        if args.https_if_present and not args.pfx.exists():
            return None
        return tls.from_pfx(args.pfx, args.pfx_password_file)
    if args.cert and args.key:
        return tls.from_pem(args.cert, args.key)
    return None


async def _serve(args, config, site_root, tls, children, log_handler, shared: bool) -> int:
    from .logs import flush_periodically
    from .server import serve  # aiohttp is needed only to serve

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def shutdown(sig):
        for pid in children:  # docker signals only PID 1
            os.kill(pid, sig)
        stop.set()

    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, shutdown, sig)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    flusher = asyncio.create_task(flush_periodically(log_handler))
    try:
        timeouts = Timeouts(args.header_wait, args.idle_connection, args.entity_body, args.min_send_rate)
        options = Options(config, site_root, timeouts, tls, read_users(args.users_file))
        await serve(options, args.listen, args.https_listen, stop, shared=shared)
    finally:
        flusher.cancel()
        log_handler.flush()
    return 0


def _test(args, config, site_root) -> int:
    parts = urlsplit(args.url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        print(f"error: '{args.url}' is not an absolute http(s) URL", file=sys.stderr)
        return 2
    headers = [("Host", parts.netloc)]
    for h in args.header:
        name, sep, value = h.partition(":")
        if not sep:
            print(f"error: header '{h}' is not 'Name: value'", file=sys.stderr)
            return 2
        headers.append((name.strip(), value.strip()))
    if args.content_length is not None and not any(k.lower() == "content-length" for k, _ in headers):
        # As on the wire: the body's length is a header, which {CONTENT_LENGTH} and filtering read.
        headers.append(("Content-Length", str(args.content_length)))
    port = parts.port or (443 if parts.scheme == "https" else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    req = Request(args.method, target, headers, scheme=parts.scheme, remote_addr=args.remote_addr,
                  server_port=port, site_root=site_root)
    rejection = filtering.http_sys(req) or filtering.request_filtering(req, config, args.content_length)
    if rejection:
        result = {"rules": [], "action": "rejected", "status": rejection.status, "substatus": rejection.substatus,
                  "reason": rejection.reason}
    else:
        outcome = evaluate(config, req)
        result = outcome.as_dict()
        if outcome.kind in ("proxy", "site"):
            result["authentication"] = _authentication(config, req, read_users(args.users_file), outcome)
    result = {"request": {"method": req.method, "url": args.url, "input_path": req.path}, **result}
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


def _authentication(config, req, users, outcome) -> dict:
    """What AuthenticateRequest and the sign-on module make of the request (B76, B77)."""
    auth = Authentication(config, users)
    anonymous, windows = auth.enabled(req.path)
    verdict = auth.authenticate(req.path, req.header("Authorization"))
    changes = auth.header_changes(req.headers, verdict.user)
    return {"anonymous": anonymous, "windows": windows, "user": verdict.user,
            "status": f"401.{verdict.substatus}" if verdict.substatus else None,
            "request_headers_set": {k: v for k, v in changes.items() if v is not None},
            "request_headers_removed": sorted(k for k, v in changes.items() if v is None)}


if __name__ == "__main__":
    sys.exit(main())
