"""Notes: a small, ordinary Flask app that knows nothing about IIS or its prefix.

Blueprints, Jinja templates with links from url_for, a static file, a form POST answered with a
redirect (Post/Redirect/Get), a cookie-based session, an error handler and a stream of server-sent
events: the things that break
when an app is moved under a prefix behind a proxy. Hosted with
APP_MODULE=examples.notes:create_app(); the smoke suite drives it through the proxy in a browser.
"""
from __future__ import annotations

from flask import Flask, render_template

from . import events, main, notes


def create_app() -> Flask:
    app = Flask(__name__)
    # Sessions are signed: FLASK_SECRET_KEY from the environment, never a key in the code or image.
    app.config.from_prefixed_env()
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("set FLASK_SECRET_KEY: the Notes app signs its session cookie with it")
    app.register_blueprint(main.blueprint)
    app.register_blueprint(notes.blueprint, url_prefix="/notes")
    app.register_blueprint(events.blueprint)

    @app.errorhandler(404)
    def not_found(error):
        return render_template("not_found.html"), 404

    return app
