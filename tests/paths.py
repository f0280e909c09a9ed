"""Where the project's files are, and the project's settings as .env.example defines them."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEB_CONFIG = ROOT / "iis" / "web.config"
SERVER_CONFIG = ROOT / "iis" / "server.config"
ENV_EXAMPLE = ROOT / ".env.example"


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; comments and blanks skipped; a value in double quotes loses them, as compose
    reads it (the subset of compose's .env syntax we use; quotes also let bash source the file)."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            values[key.strip()] = value
    return values


def stack_settings(environ=None) -> dict[str, str]:
    """The settings the tests run the stacks with: .env.example's, the environment winning for a name.
    A local .env is not read: a customised machine runs the same tests (set a value in the
    environment to test it)."""
    environ = os.environ if environ is None else environ
    values = read_env_file(ENV_EXAMPLE)
    values.update({k: environ[k] for k in values if k in environ})
    return values
