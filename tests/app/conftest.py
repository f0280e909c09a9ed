import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.config import from_env
from app.hosting.build import build
from tests.app.support import IIS, iis_client
from tests.support import start_on_free_ports, stop


@pytest.fixture
def env(project_env):
    return {**project_env, "APP_DIAGNOSTICS": "true", "IIS_ADDRESS": IIS}


@pytest.fixture
def settings(env):
    return from_env(env)


@pytest.fixture
def client(settings):
    """A WSGI client; requests come from IIS's address unless environ_base says otherwise."""
    return iis_client(build(settings))


@dataclass
class Launched:
    proc: subprocess.Popen
    port: int
    prefix: str
    log: Path
    env: dict

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{self.prefix}{path}"


@pytest.fixture
def app_server(project_env, base_env, tmp_path):
    """Starts the launcher (python -m app.server, the server given or the platform's) on a free
    loopback port, with settings on top of .env.example's, once it answers /health; stops it after
    the test."""
    started = []

    def launch(server: str | None = None, **settings) -> Launched:
        log = tmp_path / f"server-{len(started)}.log"
        cmd = [sys.executable, "-m", "app.server", *(["--server", server] if server else [])]

        def on(port):
            env = {**base_env, **project_env, "APP_PORT": str(port), "APP_WORKERS": "1", **settings}
            return cmd, env, f"http://127.0.0.1:{port}/{project_env['APP_PREFIX']}/health"

        proc, [port] = start_on_free_ports(on, log)
        started.append(Launched(proc, port, project_env["APP_PREFIX"], log, on(port)[1]))
        return started[-1]

    yield launch
    for launched in started:
        stop(launched.proc)
