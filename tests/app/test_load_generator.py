"""scripts/pyload.py, the load generator the Windows workflow's benchmark uses (no wrk there):
against a real app server, it counts answers and times them, and reports failures instead of
counting them as answers."""
import sys

from tests.paths import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import pyload  # noqa: E402


def test_it_measures_a_real_server(app_server):
    s = app_server("waitress")
    rps, p99, errors = pyload.run(s.url("/help"), seconds=1, connections=4, processes=2)
    assert errors == [] and rps > 50 and 0 < p99 < 1000, (rps, p99, errors)


def test_it_reports_what_was_not_a_200(app_server):
    s = app_server("waitress")
    _, _, errors = pyload.run(s.url("/no-such-page"), seconds=1, connections=2, processes=1)
    assert errors and set(errors) == {404}
