"""Every setting of .env.example with values a user could mistype (range, unit, boolean words, form),
and the place that refuses them with the setting's name and what it accepts: the app's settings
table (app/config.py: the app stops at start), the IIS files (the stand-in refuses to load them,
naming the %SETTING%; IIS would answer 500.19), or compose (it refuses to start the stack)."""
from __future__ import annotations

import os
import subprocess

import pytest

from app.config import SETTINGS as APP_TABLE
from app.config import ConfigError, from_env
from standin.config import ConfigError as IisConfigError
from standin.config import load
from tests.paths import ENV_EXAMPLE, ROOT, SERVER_CONFIG, WEB_CONFIG, read_env_file

DEFAULTS = read_env_file(ENV_EXAMPLE)
BOOLEAN_WORDS = ["yes", "no", "on", "1", "enabled"]

# The app's settings: what each refuses, beside the hint its table gives.
APP = {
    "APP_MODULE": ["app.web", "app/web.py:app", "app.web:create_app(", "1app:x"],
    "APP_PREFIX": ["my/App", "my App", "/myApp", "my.App"],
    "APP_PORT": ["eighty", "0", "65536", "8080/tcp", "-1"],
    "APP_SERVER": ["uwsgi", "gunicorn3", "IIS"],
    "APP_WORKERS": ["0", "two", "2.5", "-1"],
    "APP_THREADS": ["0", "four", "4.0"],
    "APP_CONNECTIONS": ["0", "501", "1k"],
    "APP_TIMEOUT_SECONDS": ["30s", "0", "1.5", "-5"],
    "APP_LOG_LEVEL": ["verbose", "WARN", "trace"],
    "APP_DIAGNOSTICS": BOOLEAN_WORDS,
    "IIS_ADDRESS": ["iis", "172.30.50.10/33", "172.30.50.5/24", "172.30.50"],
    "MAX_BODY_BYTES": ["30MB", "0", "3e7", "-1"],
    "APP_HSTS_SECONDS": ["1y", "-1", "one"],
    "APP_ALLOWED_HOSTS": ["http://example.com", "example.com/path", "a b"],
    "APP_STATIC_DIR": ["../static", "app\\static", "/srv/static"],
    "IIS_STATIC_FILES": BOOLEAN_WORDS,
    "PROXY_TIMEOUT": ["60", "60s", "00:60:00", "24:00:00", "00:00:00"],
}
# Settings the IIS files take (%NAME% in an attribute IIS types): what each refuses.
IIS = {
    "REDIRECT_TO_HTTPS": BOOLEAN_WORDS,
    "IIS_ALLOW_ANONYMOUS": BOOLEAN_WORDS,
    "IIS_STATIC_FILES": BOOLEAN_WORDS,
    "STATIC_CACHE_MAX_AGE": ["3600", "1h", "01:00"],
    "MAX_BODY_BYTES": ["30MB", "-1", "3e7"],
    "PROXY_TIMEOUT": ["60", "60s", "24:00:00"],
    "IIS_CLIENT_MAX_CONCURRENT": ["0", "-1", "many", "250.5"],
    "IIS_CLIENT_MAX_PER_SECOND": ["0", "3k"],
}
# Published ports: compose refuses them ("invalid hostPort").
COMPOSE = {"IIS_HTTP_PORT": ["eighty", "70000"], "IIS_HTTPS_PORT": ["eighty", "70000"]}
# What nothing of this project checks, and who does: the engine when it builds, creates the network
# or pulls the image (a typo there stops `docker compose up` with the engine's message), or the
# hosted app (FLASK_SECRET_KEY).
UNCHECKED = {
    "APP_HOST": "a host name: a wrong one is IIS's 502.3 (docs/standin.md B54)",
    "APP_SOURCE_DIR": "the image build: COPY fails on a folder that is not there",
    "FLASK_SECRET_KEY": "the hosted app (examples.notes refuses an empty one)",
    "STACK_SUBNET": "the engine, creating the network; the smoke suite checks IIS's address against it",
    "STACK_GATEWAY": "the engine, creating the network",
    "TLS_CERT_DIR": "compose, mounting the folder",
    "APP_REPLICAS": "docker stack deploy",
    "SWARM_SUBNET": "the engine, creating the overlay network; the app takes it as IIS_ADDRESS on a swarm",
    "LINUX_BASE_IMAGE": "the image build",
    "WINDOWS_VERSION": "tests/static/test_settings.py (the versions Python images exist for)",
    "WINDOWS_APP_BASE_IMAGE": "tests/static/test_settings.py (its version matches WINDOWS_VERSION)",
    "WINDOWS_ISOLATION": "the engine, creating the containers",
    "PIP_NO_INDEX": "pip, reading its environment during the build",
}


def test_every_setting_is_in_one_table():
    tabled = set(APP) | set(IIS) | set(COMPOSE) | set(UNCHECKED)
    assert tabled == set(DEFAULTS), (set(DEFAULTS) - tabled, tabled - set(DEFAULTS))
    assert {name for _, name, _, _ in APP_TABLE} == set(APP)


@pytest.mark.parametrize("name,value", [(n, v) for n, vs in APP.items() for v in vs])
def test_the_app_refuses_a_mistyped_setting_naming_it_and_what_it_accepts(name, value):
    hint = next(h for _, n, _, h in APP_TABLE if n == name)
    with pytest.raises(ConfigError) as err:
        from_env({**DEFAULTS, name: value})
    message = str(err.value)
    assert f"{name}={value!r} is invalid: {hint}" in message, message


@pytest.mark.parametrize("name,value", [(n, v) for n, vs in IIS.items() for v in vs])
def test_the_iis_files_refuse_a_mistyped_setting_naming_it(name, value):
    with pytest.raises(IisConfigError, match=f"set by {name}\\)"):
        load(WEB_CONFIG, SERVER_CONFIG, expand_env=True, environ={**DEFAULTS, name: value})


@pytest.mark.parametrize("name,value", [(n, v) for n, vs in COMPOSE.items() for v in vs])
def test_compose_refuses_a_mistyped_port(name, value):
    out = subprocess.run(["docker", "compose", "-f", "docker-compose.linux.yml", "--env-file", ".env.example", "config",
                          "-q"], cwd=ROOT, env={**os.environ, name: value}, capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and f"invalid hostPort: {value}" in out.stderr, out.stderr


@pytest.mark.parametrize("name,converter,value", [
    ("APP_DIAGNOSTICS", lambda v: v.lower() == "true", "yes"),  # "yes" silently off
    ("APP_PORT", None, "65536"),  # a port range without its top
], ids=["boolean-taking-any-word", "port-without-range"])
def test_a_converter_that_takes_a_mistype_is_caught(monkeypatch, name, converter, value):
    """Known-bad tables: the table-driven test above fails on each."""
    from app import config

    converter = converter or config._whole(1)
    monkeypatch.setattr(config, "SETTINGS", [(f, n, converter if n == name else c, h) for f, n, c, h in APP_TABLE])
    with pytest.raises(pytest.fail.Exception, match="DID NOT RAISE"):
        test_the_app_refuses_a_mistyped_setting_naming_it_and_what_it_accepts(name, value)
