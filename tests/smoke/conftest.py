import pytest
import trustme

from tests.smoke.stack import Stack, say
from tests.support import write_pfx

HEALTH_TIMEOUT = {"linux": 120, "windows": 600}


@pytest.fixture(scope="session")
def tls(tmp_path_factory):
    """A CA the tests trust and a PFX for localhost, handed to the stack as compose secrets."""
    folder = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    password = "smoke-test-only"
    write_pfx(ca, folder / "tls.pfx", password, "localhost")
    (folder / "password.txt").write_text(password)
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    return {"TLS_PFX_FILE": str(folder / "tls.pfx"), "TLS_PASSWORD_FILE": str(folder / "password.txt"),
            "ca": str(folder / "ca.pem")}


@pytest.fixture(scope="session")
def live(pytestconfig):
    """Prints at once, past pytest's output capture: image builds are long and must show progress."""
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")

    def out(message: str):
        with capture.global_and_fixture_disabled():
            say(message)

    return out


@pytest.fixture(scope="session")
def stack(tls, live):
    s = Stack({"APP_DIAGNOSTICS": "true", "TLS_PFX_FILE": tls["TLS_PFX_FILE"],
               "TLS_PASSWORD_FILE": tls["TLS_PASSWORD_FILE"]}, say=live)
    live(f"smoke: {s.os_type} engine, compose files {s.files}, prefix /{s.settings['APP_PREFIX']}, "
        f"app port {s.settings['APP_PORT']}")
    s.build()
    s.down()
    try:
        s.up()
        seconds = s.wait_healthy(HEALTH_TIMEOUT[s.os_type])
        live(f"smoke: stack healthy after {seconds:.1f}s")
        yield s
    finally:
        s.down()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and "stack" in item.funcargs:
        report.sections.append(("container logs", item.funcargs["stack"].logs()))


_skipped: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped and "tests/smoke/" in report.nodeid.replace("\\", "/"):
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    # A smoke suite that skips proves nothing: the run fails.
    if _skipped:
        session.config.get_terminal_writer().line(f"smoke tests were skipped: {_skipped}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
