"""Where the project's files are, and the project's settings as .env.example defines them."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEB_CONFIG = ROOT / "iis" / "web.config"
SERVER_CONFIG = ROOT / "iis" / "server.config"
ENV_EXAMPLE = ROOT / ".env.example"


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; comments and blanks skipped (the subset of compose's .env syntax we use)."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values
