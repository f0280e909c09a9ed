"""docs/windows.md: every Windows constraint has a source and names checks that exist."""
import re

from tests.paths import ROOT

DOC = ROOT / "docs" / "windows.md"


def rows() -> list[list[str]]:
    lines = [l for l in DOC.read_text().splitlines() if re.match(r"\| W\d\d \|", l)]
    return [[c.strip() for c in l.strip("|").split(" | ")] for l in lines]


def named_tests(cell: str) -> list[tuple[str, str]]:
    """`tests/x.py::test_a`, `::test_b` (same file) -> [(path, name), ...]"""
    found, current = [], None
    for path, name in re.findall(r"`(tests/[\w/]+\.py)?::(\w+)`", cell):
        current = path or current
        found.append((current, name))
    return found


def test_every_row_has_a_source_and_a_check():
    table = rows()
    assert [r[0] for r in table] == [f"W{i:02d}" for i in range(1, len(table) + 1)]
    for number, _constraint, _does, source, checked in table:
        assert source, number
        assert named_tests(checked) or checked == "not checked: a known limit", number


def test_every_named_test_exists():
    for row in rows():
        for path, name in named_tests(row[4]):
            assert path, (row[0], name)
            assert re.search(rf"^def {name}\(", (ROOT / path).read_text(), re.MULTILINE), (row[0], path, name)
