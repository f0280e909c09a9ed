import os

import pytest

from tests.paths import ENV_EXAMPLE, ROOT, read_env_file


@pytest.fixture(scope="session")
def project_env() -> dict[str, str]:
    """The settings the stacks run with: .env if present (as compose reads it), else .env.example."""
    env_file = ROOT / ".env"
    return read_env_file(env_file if env_file.exists() else ENV_EXAMPLE)


@pytest.fixture(scope="session")
def base_env() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "HOME": os.environ.get("HOME", "/root")}
