"""PowerShell syntax checked on Linux: tools/ps-parse (a tree-sitter grammar under node)."""
from __future__ import annotations

import subprocess

from tests.paths import ROOT

PS_PARSE = ROOT / "tools" / "ps-parse"


def ps_parse(*files):
    return subprocess.run(["node", "--no-deprecation", str(PS_PARSE / "parse.mjs"), *map(str, files)],
                          capture_output=True, text=True, timeout=60)
