import os

import pytest

from tests.paths import ROOT, read_env_file, settings_file


@pytest.fixture(scope="session")
def project_env() -> dict[str, str]:
    """The settings the stacks run with: .env if present (as compose reads it), else .env.example."""
    return read_env_file(settings_file())


@pytest.fixture(scope="session")
def base_env() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "HOME": os.environ.get("HOME", "/root")}
