"""The tests' own process handling (tests/support.py): a port taken between finding it and
binding it is tried again, and a process a test leaves running fails the session."""
import socket
import subprocess
import sys

from tests import support
from tests.paths import ROOT


def test_a_port_taken_before_the_server_binds_it_is_tried_again(monkeypatch, project_env, base_env, tmp_path):
    taken = socket.create_server(("127.0.0.1", 0))  # another process's server, on the port found first
    ports = iter([taken.getsockname()[1], support.free_port()])
    monkeypatch.setattr(support, "free_port", lambda: next(ports))
    try:
        def on(port):
            env = {**base_env, **project_env, "APP_PORT": str(port), "APP_WORKERS": "1"}
            return [sys.executable, "-m", "app.server"], env, f"http://127.0.0.1:{port}/{project_env['APP_PREFIX']}/health"

        proc, [port] = support.start_on_free_ports(on, tmp_path / "server.log")
        support.stop(proc)
        assert port != taken.getsockname()[1]
    finally:
        taken.close()


LEAKING_TEST = '''
import sys
from tests.support import free_port, start


def test_leaves_a_server_running(tmp_path):
    port = free_port()
    start([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], {"PATH": ""},
          f"http://127.0.0.1:{port}/", tmp_path / "log")
'''


def test_a_process_left_running_fails_the_session(tmp_path):
    test = tmp_path / "test_leak.py"
    test.write_text(LEAKING_TEST)
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest", "--rootdir", str(tmp_path),
                          "-p", "no:cacheprovider", str(test)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "1 passed" in out.stdout, out.stdout + out.stderr
    assert "processes left behind by the tests" in out.stdout and "http.server" in out.stdout
