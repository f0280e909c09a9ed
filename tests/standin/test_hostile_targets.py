"""Arbitrary request targets never crash the engine: every one ends in a rejection with an IIS
status or in an outcome (hostile input gets a clear status, never a 500 from the stand-in)."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from standin import filtering
from standin.config import load
from standin.engine import evaluate
from standin.request import Request
from tests.paths import SERVER_CONFIG, WEB_CONFIG

PIECES = st.sampled_from(["/", "myApp", "MYAPP", "..", ".", "%", "%2F", "%25", "%00", "%C3", "%A9", "+", "?", "&",
                          "=", "#", "é", "\\", " ", "a", "web.config", "%FF", "%u0041", "//"])


@settings(max_examples=400, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(target=st.lists(PIECES, max_size=12).map(lambda parts: "/" + "".join(parts)),
       content_length=st.one_of(st.none(), st.integers(min_value=0, max_value=2**40)))
def test_any_target_gets_a_status_or_an_outcome(project_env, target, content_length):
    config = load(WEB_CONFIG, SERVER_CONFIG, expand_env=True, environ=project_env)
    req = Request("GET", target, [("Host", "example.test")])
    rejection = filtering.http_sys(req) or filtering.request_filtering(req, config, content_length)
    if rejection:
        assert rejection.status in (400, 404)
        return
    outcome = evaluate(config, req)
    assert outcome.kind in ("proxy", "site", "redirect")
    if outcome.kind == "proxy":
        assert outcome.url.startswith(f"http://{project_env['APP_HOST']}:{project_env['APP_PORT']}/")
        assert " " not in outcome.url and "\x00" not in outcome.url
