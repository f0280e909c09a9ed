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


def settings_file() -> Path:
    """.env if present (compose reads it), else .env.example."""
    env = ROOT / ".env"
    return env if env.exists() else ENV_EXAMPLE


def stack_settings(environ=None) -> dict[str, str]:
    """The settings as compose resolves them: the settings file, the environment winning for a name."""
    environ = os.environ if environ is None else environ
    values = read_env_file(settings_file())
    values.update({k: environ[k] for k in values if k in environ})
    return values
