"""The real app servers on loopback: the launcher under gunicorn and waitress, the config error exit."""
import subprocess
import sys
import urllib.request

import pytest

from tests.paths import ROOT
from tests.support import free_port, start, stop


@pytest.mark.parametrize("server", ["gunicorn", "waitress"])
def test_launcher_serves_the_app_with_an_access_log(server, project_env, base_env, tmp_path):
    port = free_port()
    env = {**base_env, **project_env, "APP_PORT": str(port), "APP_WORKERS": "1"}
    prefix = project_env["APP_PREFIX"]
    log = tmp_path / "server.log"
    proc = start([sys.executable, "-m", "app.serve", "--server", server], env,
                 f"http://127.0.0.1:{port}/{prefix}/health", log)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/{prefix}/help", timeout=5) as r:
            assert r.read() == b"This is the Help Page"
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/help", timeout=5)
        assert err.value.code == 404
    finally:
        stop(proc)
    text = log.read_text()
    assert f"GET /{prefix}/help" in text or f"GET /help" in text  # waitress logs PATH_INFO under the mount
    assert "Debugger" not in text and "development server" not in text


def test_launcher_exits_2_on_bad_settings(project_env, base_env):
    env = {**base_env, **project_env, "APP_PORT": "nope"}
    out = subprocess.run([sys.executable, "-m", "app.serve"], env=env, cwd=ROOT, capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 2
    assert "APP_PORT='nope' is invalid" in out.stderr
