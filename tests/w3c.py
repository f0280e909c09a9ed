"""Reading a W3C extended log as IIS writes it: each record's fields are named by the last
`#Fields:` directive before it (W3C Extended Log File Format; Microsoft, "Configure Logging in IIS").
The stand-in writes the same directive, so one reader serves both stacks."""
from __future__ import annotations

import re

DIRECTIVE = re.compile(r"#Fields:\s*(.+)$")


def records(text: str) -> list[dict[str, str]]:
    """Every record in text, as {field name: value}. A line may carry a prefix (LogMonitor's, docker's):
    the directive is found wherever it starts, and a record is the line's last len(fields) tokens."""
    fields: list[str] = []
    out = []
    for line in text.splitlines():
        directive = DIRECTIVE.search(line)
        if directive:
            fields = directive[1].split()
            continue
        tokens = line.split()
        if fields and len(tokens) >= len(fields) and "#" not in line[:1]:
            out.append(dict(zip(fields, tokens[-len(fields):], strict=True)))
    return out
