import os
import subprocess

import pytest
import trustme

from tests.paths import ENV_EXAMPLE, ROOT, read_env_file
from tests.smoke.stack import say
from tests.support import survivors, write_pfx


@pytest.fixture(scope="session")
def project_env() -> dict[str, str]:
    """The settings the stacks run with: .env.example's, whatever a local .env says."""
    return read_env_file(ENV_EXAMPLE)


@pytest.fixture(scope="session")
def base_env() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "HOME": os.environ.get("HOME", "/root")}


# Shared by the smoke and swarm suites.
@pytest.fixture(scope="session")
def tls(tmp_path_factory):
    """A CA the tests trust, and a certificate folder for localhost (TLS_CERT_DIR) for the stack."""
    folder = tmp_path_factory.mktemp("tls")
    certs = folder / "certs"
    certs.mkdir()
    ca = trustme.CA()
    password = "smoke-test-only"
    write_pfx(ca, certs / "tls.pfx", password, "localhost")
    (certs / "tls-password.txt").write_text(password)
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    if os.name == "nt":
        # IIS reads the mounted files as ContainerAdministrator, which the host's ACL must let in:
        # Microsoft suggests Authenticated Users (S-1-5-11) ("Persistent storage in containers").
        subprocess.run(["icacls", str(certs), "/grant", "*S-1-5-11:(OI)(CI)R"], check=True, capture_output=True)
    elif os.geteuid() == 0:  # the stand-in runs as uid 10001, and pytest's folders are private
        os.chown(certs, 10001, -1)
    else:
        certs.chmod(0o755)
    return {"TLS_CERT_DIR": str(certs), "ca": str(folder / "ca.pem")}


@pytest.fixture(scope="session")
def live(pytestconfig):
    """Prints at once, past pytest's output capture: image builds are long and must show progress."""
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")

    def out(message: str):
        with capture.global_and_fixture_disabled():
            say(message)

    return out


def pytest_sessionfinish(session, exitstatus):
    """No test leaves a process behind: whatever the session started and is still running fails the
    run (and is ended). Linux: the servers the app and stand-in tests start run here."""
    if not os.path.isdir("/proc"):
        return
    left = survivors()
    if left:
        session.config.get_terminal_writer().line("processes left behind by the tests:\n  " + "\n  ".join(left),
                                                  red=True)
        for line in left:
            try:
                os.kill(int(line.split(":", 1)[0]), 9)
            except ProcessLookupError:
                pass
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
