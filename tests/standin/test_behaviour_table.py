"""Every row of the behaviour table in docs/standin.md has at least one test named after it."""
import re
from pathlib import Path

from tests.paths import ROOT


def test_every_behaviour_row_has_a_test():
    table = (ROOT / "docs" / "standin.md").read_text()
    rows = set(re.findall(r"^\| (B\d\d) \|", table, re.MULTILINE))
    assert len(rows) >= 50
    tests = "".join(p.read_text() for p in Path(__file__).parent.glob("test_*.py"))
    tested = set(re.findall(r"def test_(B\d\d)_", tests))
    assert rows - tested == set(), f"rows without tests: {sorted(rows - tested)}"
    assert tested - rows == set(), f"tests for rows not in the table: {sorted(tested - rows)}"
