"""hadolint on every Dockerfile (the Windows one with its PowerShell shell), and the builder limits."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import ROOT

DOCKERFILES = sorted(ROOT.glob("Dockerfile*"))
HADOLINT = [str(Path(sys.executable).parent / "hadolint"), "--config", str(ROOT / ".hadolint.yaml"), "--no-color"]


def hadolint(path):
    return subprocess.run(HADOLINT + [str(path)], capture_output=True, text=True, timeout=60)


def test_there_are_three_dockerfiles():
    assert [p.name for p in DOCKERFILES] == ["Dockerfile.app", "Dockerfile.iis", "Dockerfile.iis-standin"]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_hadolint_passes(dockerfile):
    result = hadolint(dockerfile)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_fails_on_a_broken_dockerfile(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN cd /srv && pip install flask\nCMD python app.py\n")
    result = hadolint(bad)
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # :latest


def test_windows_dockerfile_is_linted_as_powershell(tmp_path):
    text = (ROOT / "Dockerfile.iis").read_text()
    assert text.startswith("# escape=`\n# hadolint shell=powershell\n")


@pytest.mark.parametrize("dockerfile", ["Dockerfile.app", "Dockerfile.iis-standin"])
def test_linux_dockerfiles_build_with_the_classic_builder(dockerfile):
    # The docker SDK builds without BuildKit: no RUN --mount, no heredocs, no syntax directive.
    text = (ROOT / dockerfile).read_text()
    assert not re.search(r"^\s*RUN\s+--mount", text, re.MULTILINE)
    assert not re.search(r"<<-?\s*['\"]?[A-Z]+", text)
    assert "# syntax=" not in text


def test_app_dockerfile_runs_as_a_non_root_user():
    text = (ROOT / "Dockerfile.app").read_text()
    assert re.search(r"^USER \$\{RUN_AS\}$", text, re.MULTILINE)
    assert re.search(r"^ARG RUN_AS=10001$", text, re.MULTILINE)
