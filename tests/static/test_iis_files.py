"""The IIS files checked without IIS: web.config and server.config hold only elements and
attributes IIS defines, with values of the right type (the stand-in's strict loader, which
refuses anything else with file and line); the installer manifest is the one place for download
URLs and hashes; the PowerShell scripts parse."""
import json
import re

import pytest

from standin.config import ConfigError, load
from tests.paths import ROOT, SERVER_CONFIG, WEB_CONFIG
from tests.static.powershell import ps_parse

MANIFEST = ROOT / "iis" / "installers.json"


def test_web_config_and_server_config_are_valid(project_env):
    config = load(WEB_CONFIG, SERVER_CONFIG, expand_env=True, environ=project_env)
    assert [r.name for r in config.rules] == ["Redirect to HTTPS", "Static files from IIS", "Forward to Flask"]


@pytest.mark.parametrize("broken,message", [
    ('<match url="^%APP_PREFIX%(/.*)?$" />', 'attribute \'ignoreCas\''),
    ('<match url="^%APP_PREFIX%(/.*)?$" />', "must be true or false"),
    ('<match url="^%APP_PREFIX%(/.*)?$" />', "not well-formed"),
])
def test_a_broken_web_config_is_refused_with_its_line(tmp_path, project_env, broken, message):
    replacement = {
        "attribute 'ignoreCas'": '<match url="^%APP_PREFIX%(/.*)?$" ignoreCas="true" />',
        "must be true or false": '<match url="^%APP_PREFIX%(/.*)?$" ignoreCase="maybe" />',
        "not well-formed": '<match url="^%APP_PREFIX%(/.*)?$">',
    }[message]
    text = WEB_CONFIG.read_text()
    assert broken in text
    bad = tmp_path / "web.config"
    bad.write_text(text.replace(broken, replacement))
    line = text[: text.index(broken)].count("\n") + 1
    with pytest.raises(ConfigError) as err:
        load(bad, SERVER_CONFIG, expand_env=True, environ=project_env)
    assert message in str(err.value)
    # The line of the broken element: as file:line, or for a tag mismatch in libxml's own words.
    assert re.search(rf"web\.config:{line}:|line {line}\b", str(err.value)), str(err.value)


def test_a_broken_server_config_is_refused(tmp_path, project_env):
    bad = tmp_path / "server.config"
    bad.write_text(SERVER_CONFIG.read_text().replace('responseBufferLimit="0"', 'responseBufferLimit="none"'))
    with pytest.raises(ConfigError, match="responseBufferLimit.*whole number"):
        load(WEB_CONFIG, bad, expand_env=True, environ=project_env)


def manifest() -> dict:
    return {k: v for k, v in json.loads(MANIFEST.read_text()).items() if not k.startswith("_")}


WINGET = "microsoft/winget-pkgs manifests/m/Microsoft/IIS/"


def check_manifest(entries: dict) -> None:
    """Every download from Microsoft; every MSI (run as SYSTEM) pinned by the SHA-256 of the winget
    community manifest that publishes it, with that manifest's URL; the rest says why it is not."""
    for name, e in entries.items():
        assert re.fullmatch(r"https://(download\.microsoft\.com|go\.microsoft\.com/fwlink/|github\.com/microsoft/)\S+",
                            e["url"]), name
        assert e["kind"] in ("msi", "exe"), name
        assert set(e) <= {"description", "kind", "file", "url", "sha256", "hash_source", "destination"}, name
        assert e["sha256"] is None or re.fullmatch(r"[0-9A-F]{64}", e["sha256"]), name
        assert e["hash_source"], name
        if e["kind"] == "msi":
            assert e["sha256"], f"{name}: an MSI must be pinned by SHA-256"
            assert e["hash_source"].startswith(WINGET), f"{name}: cite the winget manifest"


def test_installer_manifest_pins_every_msi_by_sha256():
    entries = manifest()
    assert sorted(entries) == ["ARR", "LogMonitor", "UrlRewrite"]
    check_manifest(entries)


# LogMonitor wraps Start-Iis.ps1: before v2.1.2 a line over about 4000 characters kills the wrapped
# process (microsoft/windows-container-tools#212, fixed by #213, first in the v2.1.2 tag).
LOG_MONITOR_FIXED = (2, 1, 2)


def log_monitor_problems(entry: dict) -> list[str]:
    tag = re.search(r"/releases/download/v(\d+)\.(\d+)\.(\d+)/LogMonitor\.exe$", entry["url"])
    if not tag:
        return [f"LogMonitor: {entry['url']} is not a numbered release"]
    version = tuple(map(int, tag.groups()))
    if version < LOG_MONITOR_FIXED:
        return [f"LogMonitor {version}: crashes IIS's start script on a long log line (fixed in 2.1.2)"]
    if ".".join(map(str, version)) not in entry["description"]:
        return ["LogMonitor: the description names another version than the URL"]
    return []


def test_log_monitor_is_a_release_with_the_long_line_fix():
    assert log_monitor_problems(manifest()["LogMonitor"]) == []


@pytest.mark.parametrize("url,problem", [
    ("https://github.com/microsoft/windows-container-tools/releases/download/v2.1.1/LogMonitor.exe", "crashes"),
    ("https://github.com/microsoft/windows-container-tools/releases/latest/download/LogMonitor.exe", "numbered"),
], ids=["v2.1.1-as-before", "unpinned-latest"])
def test_a_log_monitor_without_the_fix_is_caught(url, problem):
    entry = manifest()["LogMonitor"] | {"url": url}
    assert any(problem in p for p in log_monitor_problems(entry))


def test_a_manifest_pinning_arr_by_sha1_is_refused():
    """Known-bad input: the manifest at 3aa580b verified ARR by a 2021 Chocolatey SHA-1 only."""
    entries = manifest()
    entries["ARR"] = {k: v for k, v in entries["ARR"].items() if k != "sha256"} | {
        "sha256": None, "sha1": "8B258C3D62AC41192F1D01BA9FCFEDD8421320BA",
        "hash_source": "Chocolatey package iis-arr (checksum64, sha1)"}
    with pytest.raises(AssertionError):
        check_manifest(entries)


def test_install_script_refuses_an_unpinned_msi():
    text = (ROOT / "iis" / "Install-Module.ps1").read_text()
    assert re.search(r"elseif \(\$entry\.kind -eq 'msi'\) \{\s*throw ", text)
    assert "SHA1" not in text


def test_urls_and_hashes_live_only_in_the_manifest():
    values = [v for e in manifest().values() for k, v in e.items() if k in ("url", "sha256", "sha1") and v]
    for path in [ROOT / "Dockerfile.iis", *ROOT.glob("iis/*.ps1"), ROOT / "README.md"]:
        text = path.read_text()
        for value in values:
            assert value not in text, f"{value} is repeated in {path.name}"


def test_dockerfile_installs_every_manifest_entry_and_verifies_the_modules():
    text = (ROOT / "Dockerfile.iis").read_text()
    for name in manifest():
        assert f"Install-Module.ps1 -Name {name}\n" in text
    assert "Install-Module.ps1 -Verify" in text


def test_powershell_scripts_parse():
    scripts = sorted((ROOT / "iis").glob("*.ps1"))
    assert len(scripts) == 4
    result = ps_parse(*scripts)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": ok") == 4


def test_no_script_holds_a_variable_reference_powershell_refuses():
    from tests.static.powershell import bad_variable_references

    assert {p.name: bad_variable_references(p.read_text()) for p in (ROOT / "iis").glob("*.ps1")} == {
        p.name: [] for p in (ROOT / "iis").glob("*.ps1")}


def test_powershell_parser_reports_a_syntax_error_with_its_line(tmp_path):
    bad = tmp_path / "bad.ps1"
    bad.write_text("$ErrorActionPreference = 'Stop'\nif ($x {\n  Write-Host 'unclosed'\n")
    result = ps_parse(bad)
    assert result.returncode == 1
    assert re.search(r"bad\.ps1:\d+:\d+: (syntax error|missing)", result.stdout)


def test_log_monitor_config_is_json_with_iis_logs():
    config = json.loads((ROOT / "iis" / "LogMonitorConfig.json").read_text())
    kinds = {s["type"] for s in config["LogConfig"]["sources"]}
    assert {"EventLog", "File", "ETW"} <= kinds
