"""%NAME% settings in the IIS files: one rule on both stacks, read from the PowerShell script itself.

Configure-Iis.ps1 (Windows) and the stand-in (Linux) expand %NAME% in attribute values only, after
parsing, so a comment that mentions %NAME% is harmless. The rule is taken from the script's own
text (its regex and the XPath of the nodes it expands), never copied here, and applied to the raw
files: a script that went back to replacing the whole text would fail these tests.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

from standin.config import SETTING_REFERENCE, ConfigError, load
from tests.paths import ENV_EXAMPLE, ROOT, SERVER_CONFIG, WEB_CONFIG, read_env_file

SCRIPT = ROOT / "iis" / "Configure-Iis.ps1"
SETTINGS = read_env_file(ENV_EXAMPLE)

# Expand-Settings as it stood at 3aa580b: a regex over the whole file text, comments included.
# With server.config's comment "%NAME% values come from the environment" it threw at image build.
WHOLE_TEXT_EXPANSION = r"""
function Expand-Settings([string] $Path, [hashtable] $Defaults) {
    $text = Get-Content -Raw -Path $Path
    $evaluator = { param($match) $Defaults[$match.Groups[1].Value] }.GetNewClosure()
    return [regex]::Replace($text, '%([A-Za-z_][A-Za-z0-9_]*)%', [System.Text.RegularExpressions.MatchEvaluator] $evaluator)
}
"""


@dataclass(frozen=True)
class Rule:
    pattern: str
    xpath: str | None  # the nodes whose values are expanded; None: the raw text of the file


def _resolve(script: str, token: str) -> str:
    """A single-quoted PowerShell literal, or a variable assigned one at the top of the script."""
    if token.startswith("'"):
        return token[1:-1].replace("''", "'")
    assigned = re.search(rf"^\{token}\s*=\s*('(?:[^']|'')*')\s*$", script, re.MULTILINE)
    assert assigned, f"{token} is not assigned a literal in the script"
    return _resolve(script, assigned.group(1))


def expansion_rule(script: str) -> Rule:
    """The script's own expansion: its one [regex]::Replace call, and what that call is applied to."""
    calls = re.findall(r"\[regex\]::Replace\(\s*(\$[\w.]+)\s*,\s*('(?:[^']|'')*'|\$\w+)", script)
    assert len(calls) == 1, f"expected one [regex]::Replace, found {calls}"
    subject, pattern = calls[0]
    xpath = None
    attribute = re.fullmatch(r"\$(\w+)\.Value", subject)
    if attribute:
        loop = re.search(rf"foreach\s*\(\s*\${attribute.group(1)}\s+in\s+\$\w+\.SelectNodes\((\$\w+|'[^']*')\)\s*\)",
                         script)
        if loop:
            xpath = _resolve(script, loop.group(1))
    return Rule(_resolve(script, pattern), xpath)


def references(path: Path, rule: Rule) -> set[str]:
    if rule.xpath is None:
        texts = [path.read_text()]
    else:
        texts = [str(v) for v in etree.parse(str(path)).xpath(rule.xpath)]
    return {name for text in texts for name in re.findall(rule.pattern, text)}


@pytest.fixture(scope="module")
def rule() -> Rule:
    return expansion_rule(SCRIPT.read_text())


def test_the_script_expands_attribute_values_after_parsing(rule):
    assert rule.xpath == "//@*"


@pytest.mark.parametrize("path", [WEB_CONFIG, SERVER_CONFIG], ids=lambda p: p.name)
def test_every_reference_in_the_iis_files_is_defined_under_the_scripts_rule(rule, path):
    used = references(path, rule)
    assert used, f"{path.name} references no setting"
    assert used - set(SETTINGS) == set()


def test_the_stand_in_uses_the_scripts_pattern(rule):
    assert SETTING_REFERENCE.pattern == rule.pattern


@pytest.mark.parametrize("old,new,expanded", [
    ("<configuration>", "<!-- %NOT_A_SETTING% -->\n<configuration>", False),
    ('<rule name="Forward to Flask"', '<!-- %NOT_A_SETTING% -->\n<rule name="Forward to Flask"', False),
    ('<rule name="Forward to Flask"', '<rule name="Forward %NOT_A_SETTING%"', True),
], ids=["comment-before-root", "comment-inside", "attribute"])
def test_both_sides_agree_on_what_is_expanded(rule, tmp_path, project_env, old, new, expanded):
    """The same file through the script's rule and through the stand-in's loader."""
    web = tmp_path / "web.config"
    web.write_text(WEB_CONFIG.read_text().replace(old, new, 1))
    assert ("NOT_A_SETTING" in references(web, rule)) is expanded
    if expanded:
        with pytest.raises(ConfigError, match="NOT_A_SETTING"):
            load(web, SERVER_CONFIG, expand_env=True, environ=project_env)
    else:
        load(web, SERVER_CONFIG, expand_env=True, environ=project_env)


def test_server_config_keeps_a_comment_that_would_trap_a_whole_text_expansion():
    # Kept on purpose: the comment is what broke the first Windows build.
    assert "%NAME%" in SERVER_CONFIG.read_text()


def test_a_whole_text_expansion_is_caught(rule):
    """Known-bad input: the 3aa580b script's rule finds %NAME% in server.config's comment."""
    bad = expansion_rule(WHOLE_TEXT_EXPANSION)
    assert bad.xpath is None and bad.pattern == rule.pattern
    assert references(SERVER_CONFIG, bad) - set(SETTINGS) == {"NAME"}


def script_default_line(script: str) -> re.Pattern:
    """Configure-Iis.ps1's rule for one line of the defaults file, as the script states it."""
    return re.compile(re.search(r"^\$DefaultLine = '([^']+)'$", script, re.MULTILINE)[1])


def read_defaults(pattern: re.Pattern, text: str) -> dict[str, str]:
    """What Read-Defaults does with the pattern: group 2 when the value was quoted, else group 3."""
    values = {}
    for line in text.splitlines():
        m = pattern.match(line)
        if m:
            values[m[1]] = m[2] if m[2] is not None else m[3]
    return values


DEFAULT_LINES = [('A="x y"', {"A": "x y"}), ("B=plain", {"B": "plain"}), ("  C = spaced  ", {"C": "spaced"}),
                 ("# D=no", {}), ("E=", {"E": ""}), ('F="unclosed', {"F": '"unclosed'}), ("not a setting", {})]


@pytest.mark.parametrize("line,expected", DEFAULT_LINES, ids=[line for line, _ in DEFAULT_LINES])
def test_the_defaults_file_is_read_as_compose_reads_it(line, expected):
    """.env.example quotes APP_MODULE (bash can then source it): compose and tests/paths.py drop the
    quotes, and so must the script, or a quoted setting reaches IIS with its quotes."""
    assert read_defaults(script_default_line(SCRIPT.read_text()), line) == expected


def test_the_script_and_the_python_reader_agree_on_env_example():
    values = read_defaults(script_default_line(SCRIPT.read_text()), ENV_EXAMPLE.read_text())
    assert values == read_env_file(ENV_EXAMPLE) and values["APP_MODULE"] == "app.web:create_app()"


def test_a_reader_that_keeps_the_quotes_is_caught():
    """Known-bad input: a rule without the quoted alternative (as Read-Defaults at 3aa580b behaved)."""
    keeps = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(\x00)?(.*?)\s*$")
    assert read_defaults(keeps, ENV_EXAMPLE.read_text())["APP_MODULE"] == '"app.web:create_app()"'
