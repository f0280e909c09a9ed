"""The Flask application of the original post, as a factory."""
from __future__ import annotations

import hashlib
import time

from flask import Flask, abort, jsonify, redirect, request, url_for

from .config import Settings


def create_app(settings: Settings) -> Flask:
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=settings.max_body_bytes, DEBUG=False)

    @app.route("/")
    def hello():
        return "Hello World!!!"

    @app.route("/help")
    def help():  # noqa: A001 - the post's endpoint name
        return "This is the Help Page"

    @app.route("/health")
    def health():
        return jsonify(status="ok")

    @app.route("/_diagnostics", methods=["GET", "POST"])
    def diagnostics():
        # What the app saw of the request after the proxy trust step: for the smoke tests. Off by default.
        if not settings.diagnostics:
            abort(404)
        delay = min(request.args.get("delay", 0, type=float), 10.0)
        if delay > 0:
            # For shutdown tests: a request that is provably in flight.
            app.logger.warning("diagnostics: request in flight for %.1f s", delay)
            time.sleep(delay)
        return jsonify(
            remote_addr=request.remote_addr,
            scheme=request.scheme,
            host=request.host,
            script_root=request.script_root,
            path=request.path,
            url=request.url,
            help_url=url_for("help", _external=True),
            body_bytes=len(request.get_data()),
            body_sha256=hashlib.sha256(request.get_data()).hexdigest(),
            headers={k: v for k, v in request.headers.items()},
            # The hop as received, before the trusted-proxy step rewrote it (empty for direct clients).
            as_received=request.environ.get("werkzeug.proxy_fix.orig", {}),
        )

    @app.route("/_diagnostics/redirect")
    def diagnostics_redirect():
        if not settings.diagnostics:
            abort(404)
        return redirect(url_for("help", _external=True))

    @app.after_request
    def strict_transport_security(response):
        # The scheme is the client's, from the one trusted proxy (wsgi.OneTrustedProxy).
        if settings.hsts_seconds and request.scheme == "https":
            response.headers["Strict-Transport-Security"] = f"max-age={settings.hsts_seconds}"
        return response

    return app
