"""The Windows swarm suite's request from inside the iis task (tests/swarm/probes.py) is PowerShell
that only Windows runs: its syntax is checked here, with a known-bad copy."""
from tests.static.powershell import ps_parse
from tests.swarm.probes import POWERSHELL


def script(**values) -> str:
    return POWERSHELL.format(**{"url": "http://127.0.0.1/myApp/_diagnostics", "headers": '{"X-Forwarded-For": "6.6.6.6"}',
                                **values})


def test_the_in_task_request_parses_as_powershell(tmp_path):
    path = tmp_path / "probe.ps1"
    path.write_text(script())
    result = ps_parse(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_broken_in_task_request_is_caught(tmp_path):
    path = tmp_path / "probe.ps1"
    path.write_text(script().replace("catch [System.Net.WebException] {", "catch [System.Net.WebException] ("))
    assert ps_parse(path).returncode == 1
