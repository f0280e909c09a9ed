
import pytest

from tests.paths import stack_settings
from tests.smoke import sign_on
from tests.smoke.stack import Stack

HEALTH_TIMEOUT = {"linux": 120, "windows": 600}


@pytest.fixture(scope="session")
def stack(tls, live, tmp_path_factory):
    overrides = {"APP_DIAGNOSTICS": "true", "TLS_CERT_DIR": tls["TLS_CERT_DIR"]}
    if sign_on.enabled(stack_settings()):
        overrides["SIGN_ON_USERS_FILE"] = sign_on.write_users_file(tmp_path_factory.mktemp("sign-on"))
    s = Stack(overrides, say=live)
    live(f"smoke: {s.os_type} engine, compose files {s.files}, prefix /{s.settings['APP_PREFIX']}, "
        f"app port {s.settings['APP_PORT']}")
    s.build()
    s.down()
    try:
        s.up()
        s.check_addresses()
        seconds = s.wait_healthy(HEALTH_TIMEOUT[s.os_type])
        live(f"smoke: stack healthy after {seconds:.1f}s")
        if sign_on.enabled(s.settings) and s.os_type == "windows":
            sign_on.create_account(s)
        yield s
    finally:
        s.down()


@pytest.fixture(scope="session")
def s(stack):
    return stack.settings


@pytest.fixture(scope="session")
def base(s):
    return f"http://localhost:{s['IIS_HTTP_PORT']}"


@pytest.fixture(scope="session")
def prefix(s):
    return "/" + s["APP_PREFIX"]


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


def pytest_collection_modifyitems(config, items):
    """A module that tests one hosted app declares APP_MODULE; it runs when that app is deployed
    (scripts/test runs the suite once per app); one that declares APP_SERVER, with that app server.
    A module that declares SIGN_ON = True runs only with
    Windows sign-on on (IIS_ALLOW_ANONYMOUS=false), and then only such modules run: the others make
    anonymous requests. Deselected, not skipped: they belong to another run."""
    settings = stack_settings()
    deployed, signing_on, server = settings["APP_MODULE"], sign_on.enabled(settings), settings["APP_SERVER"]
    other = [i for i in items if getattr(i.module, "APP_MODULE", deployed) != deployed
             or getattr(i.module, "SIGN_ON", False) != signing_on
             or getattr(i.module, "APP_SERVER", server) != server]
    if other:
        config.hook.pytest_deselected(items=other)
        items[:] = [i for i in items if i not in other]
