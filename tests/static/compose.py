"""The compose files as the static checks read them: each stack's files, the Compose
Specification's schema, and `docker compose config`'s resolved model (with .env.example's values)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.paths import ENV_EXAMPLE, ROOT
from tests.smoke.stack import COMPOSE_FILES

CHECK_JSONSCHEMA = str(Path(sys.executable).parent / "check-jsonschema")
# Each stack's base file, and the HTTPS override the smoke suite adds to it.
STACKS = {os_type: files[:1] for os_type, files in COMPOSE_FILES.items()}
HTTPS = {os_type: files[1] for os_type, files in COMPOSE_FILES.items()}
ALL_FILES = sorted(p.name for p in ROOT.glob("docker-compose*.yml"))


def schema_check(*paths):
    return subprocess.run([CHECK_JSONSCHEMA, "--builtin-schema", "vendor.compose-spec", *map(str, paths)],
                          capture_output=True, text=True, timeout=120)


def compose_config(files, *extra, env_file=ENV_EXAMPLE, cwd=ROOT):
    cmd = ["docker", "compose", "--env-file", str(env_file)]
    for f in files:
        cmd += ["-f", str(f)]
    return subprocess.run(cmd + ["config", *extra], cwd=cwd, capture_output=True, text=True, timeout=120)


def config(files) -> dict:
    result = compose_config(files, "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def resolved(*files, cwd=None) -> dict:
    result = compose_config(list(files), "--format", "json", **({"cwd": cwd} if cwd else {}))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
