"""The Flask application of the original post, as a factory: the default APP_MODULE.

Only the app. Everything the deployment needs (prefix, proxy trust, /health, diagnostics, HSTS,
body limit) wraps it from outside, in app/hosting/wsgi.py, and wraps any other app the same way.
"""
from __future__ import annotations

from flask import Flask


def create_app() -> Flask:
    app = Flask(__name__)
    app.config.update(DEBUG=False)

    @app.route("/")
    def hello():
        return "Hello World!!!"

    @app.route("/help")
    def help():  # noqa: A001 - the post's endpoint name
        return "This is the Help Page"

    return app
