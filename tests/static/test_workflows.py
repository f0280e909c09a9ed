"""The GitHub workflows: valid against GitHub's schema, and every action pinned to a commit."""
import re
import subprocess
import sys
from pathlib import Path

from tests.paths import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
CHECK_JSONSCHEMA = str(Path(sys.executable).parent / "check-jsonschema")


def test_workflows_match_githubs_schema():
    result = subprocess.run([CHECK_JSONSCHEMA, "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_action_is_pinned_to_a_commit_with_its_version_noted():
    uses = [line.strip() for w in WORKFLOWS for line in w.read_text().splitlines() if "uses:" in line]
    assert uses
    for line in uses:
        assert re.fullmatch(r"(- )?uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+(\.\d+)*", line), line


def test_windows_workflow_runs_the_smoke_suite_unchanged():
    text = (ROOT / ".github" / "workflows" / "windows.yml").read_text()
    assert "runs-on: windows-2022" in text
    assert "python -m pytest tests/smoke" in text
