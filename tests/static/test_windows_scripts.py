"""What the Windows start and configuration scripts do, read from their syntax trees: PowerShell
cannot run here, so each check names the command and parameters that carry a decision, and is
shown failing on a copy of the script without it."""
from __future__ import annotations

import pytest

from tests.paths import ROOT
from tests.static.powershell import commands, syntax_tree

START = ROOT / "iis" / "Start-Iis.ps1"
CONFIGURE = ROOT / "iis" / "Configure-Iis.ps1"


def start_problems(source: str, tmp_path) -> list[str]:
    """Start-Iis.ps1 hands Configure-Iis.ps1 the defaults and the certificate folder's two files."""
    [configure] = [c for c in commands(syntax_tree(source, tmp_path)) if "Configure-Iis.ps1" in c.name]
    problems = []
    for parameter, file in (("-pfxfile", "'tls.pfx'"), ("-pfxpasswordfile", "'tls-password.txt'")):
        argument = configure.parameters.get(parameter) or ""
        if "$certs" not in argument or file not in argument:
            problems.append(f"Configure-Iis.ps1 gets no {parameter} {file} in the certificate folder: no HTTPS")
    if "defaults.env" not in (configure.parameters.get("-defaultsfile") or ""):
        problems.append("Configure-Iis.ps1 gets no -DefaultsFile: unset settings stop the start")
    return problems


def entry_problems(source: str, tmp_path) -> list[str]:
    """Configure-Iis.ps1 adds a collection entry only when a lookup by its key found none, or a
    restarted container adds it again and IIS refuses the duplicate (docs/windows.md W19)."""
    found = commands(syntax_tree(source, tmp_path))
    adds = [c for c in found if c.name == "Add-WebConfigurationProperty"]
    lookups = [c for c in found if c.name == "Get-WebConfiguration"]
    problems = []
    if not adds:
        problems.append("no Add-WebConfigurationProperty: collection entries are never added")
    for add in adds:
        if not any("-not $existing" in condition for condition in add.conditions()):
            problems.append("Add-WebConfigurationProperty runs whether or not the entry exists")
    if not any("$key.Name" in (c.parameters.get("-filter") or "") for c in lookups):
        problems.append("no Get-WebConfiguration lookup by the entry's key")
    return problems


def test_the_start_script_passes_the_certificate_folder_and_defaults(tmp_path):
    assert start_problems(START.read_text(), tmp_path) == []


@pytest.mark.parametrize("old,new,problem", [
    ("    -PfxFile (Join-Path $certs 'tls.pfx') `\n", "", "-pfxfile"),
    ("'tls.pfx') `\n    -PfxPasswordFile (Join-Path $certs 'tls-password.txt')\n", "'tls.pfx')\n", "-pfxpasswordfile"),
    ("    -PfxFile (Join-Path $certs 'tls.pfx') `\n", "    -PfxFile (Join-Path $PSScriptRoot 'tls.pfx') `\n", "-pfxfile"),
], ids=["no-pfx", "no-password-file", "pfx-outside-the-folder"])
def test_a_start_script_without_the_certificate_folder_is_caught(tmp_path, old, new, problem):
    source = START.read_text()
    assert old in source
    assert any(problem in p for p in start_problems(source.replace(old, new), tmp_path))


def test_configure_adds_a_collection_entry_only_when_it_is_missing(tmp_path):
    assert entry_problems(CONFIGURE.read_text(), tmp_path) == []


def test_a_configure_script_that_adds_entries_at_every_start_is_caught(tmp_path):
    source = CONFIGURE.read_text()
    guarded = ("            if (-not $existing) {\n"
               "                Add-WebConfigurationProperty -PSPath $apphost @at -Filter $Filter -Name '.' -Value $entry\n"
               "            }\n")
    assert guarded in source
    unguarded = source.replace(guarded, "            Add-WebConfigurationProperty -PSPath $apphost @at -Filter $Filter"
                                        " -Name '.' -Value $entry\n")
    assert entry_problems(unguarded, tmp_path) == ["Add-WebConfigurationProperty runs whether or not the entry exists"]


def location_problems(source: str, tmp_path) -> list[str]:
    """server.config's <location> sections go to IIS for that path of the site: every IIS
    configuration command in Set-ServerElement takes the location (splatted as @at), and each
    <location> is applied under the site's name (docs/windows.md W31)."""
    tree = syntax_tree(source, tmp_path)
    found = commands(tree)
    problems = []
    for name in ("Set-WebConfigurationProperty", "Get-WebConfiguration", "Add-WebConfigurationProperty"):
        for command in (c for c in found if c.name == name):
            if "@at" not in command.arguments:
                problems.append(f"{name} without the location: a <location> section would apply to the whole server")
    groups = [c for c in found if c.name == "Set-ServerGroups"]
    if not any(c.arguments[:1] == ["$location"] and "$SiteName/" in "".join(c.arguments[1:]) for c in groups):
        problems.append("no <location> is applied under the site's name")
    return problems


def test_configure_applies_each_location_to_its_path(tmp_path):
    assert location_problems(CONFIGURE.read_text(), tmp_path) == []


@pytest.mark.parametrize("old,new,problem", [
    ("Set-WebConfigurationProperty -PSPath $apphost @at ", "Set-WebConfigurationProperty -PSPath $apphost ",
     "whole server"),
    ("    Set-ServerGroups $location (", "    Set-ServerGroups $server.configuration (", "under the site's name"),
], ids=["no-location-on-set", "locations-not-applied"])
def test_a_configure_script_that_ignores_locations_is_caught(tmp_path, old, new, problem):
    source = CONFIGURE.read_text()
    assert old in source
    assert any(problem in p for p in location_problems(source.replace(old, new), tmp_path))


def function(tree, name: str):
    return next(n for n in tree.walk() if n.type == "function_statement" and n.text.startswith(f"function {name}("))


def quoted_value_problems(source: str, tmp_path) -> list[str]:
    """Read-Defaults, read from its syntax tree, not copied into Python: a value in double quotes
    must lose them, as compose reads .env (group 2 of $DefaultLine is the inside of the quotes,
    group 3 an unquoted value; tests/static/test_iis_expansion.py checks the pattern itself)."""
    body = function(syntax_tree(source, tmp_path), "Read-Defaults")
    branches = [n for n in body.walk() if n.type == "if_statement"
                and any(c.field == "condition" and c.text == "$m.Groups[2].Success" for c in n.children)]
    if not branches:
        return ["Read-Defaults does not tell a quoted value from an unquoted one"]
    then = next(c.text for c in branches[0].children if c.type == "statement_block")
    orelse = next((c.text for c in branches[0].children if c.type == "else_clause"), "")
    problems = []
    if then.replace(" ", "") != "{$value=$m.Groups[2].Value}":
        problems.append(f"a quoted value is not taken from inside its quotes: {then}")
    if orelse.replace(" ", "") != "else{$value=$m.Groups[3].Value}":
        problems.append(f"an unquoted value is not taken as it is: {orelse}")
    if "$values[$m.Groups[1].Value] = $value" not in body.text:
        problems.append("the value is not stored under its name")
    return problems


def test_read_defaults_drops_the_quotes_of_a_quoted_value(tmp_path):
    assert quoted_value_problems(CONFIGURE.read_text(), tmp_path) == []


@pytest.mark.parametrize("old,new", [
    ("{ $value = $m.Groups[2].Value }", "{ $value = $m.Groups[0].Value }"),
    ("if ($m.Groups[2].Success) { $value = $m.Groups[2].Value } else { $value = $m.Groups[3].Value }",
     "$value = $m.Value"),
], ids=["whole-match", "no-branch"])
def test_a_read_defaults_that_keeps_the_quotes_is_caught(tmp_path, old, new):
    source = CONFIGURE.read_text()
    assert old in source
    assert quoted_value_problems(source.replace(old, new), tmp_path)


def site_file_problems(source: str, tmp_path) -> list[str]:
    """The expanded web.config is written to the site's folder: IIS reads the site's own file,
    which no other step expands."""
    tree = syntax_tree(source, tmp_path)
    top = [n.text for n in tree.walk() if n.type in ("assignment_expression", "pipeline")
           and not any(a.type == "function_statement" for a in n.ancestors())]
    problems = []
    if not any(t.startswith("$site = Read-Settings $WebConfig") for t in top):
        problems.append("web.config is not read and expanded")
    if not any(t.startswith("$target = ") and "$SitePath" in t and "'web.config'" in t for t in top):
        problems.append("no target in the site's folder")
    if "$site.Save($target)" not in top:
        problems.append("the expanded web.config is never saved to the site")
    return problems


def test_configure_saves_the_expanded_web_config_to_the_site(tmp_path):
    assert site_file_problems(CONFIGURE.read_text(), tmp_path) == []


def test_a_configure_script_that_never_saves_web_config_is_caught(tmp_path):
    source = CONFIGURE.read_text()
    assert "$site.Save($target)\n" in source
    assert site_file_problems(source.replace("$site.Save($target)\n", ""), tmp_path) == [
        "the expanded web.config is never saved to the site"]


def server_walk_problems(source: str, tmp_path) -> list[str]:
    """Set-ServerGroups walks server.config's section groups; a <location> is not one: it is applied
    for its path (Set-ServerGroups $location), and walked as a group it would set its sections for
    the whole server (anonymous access for every path, say)."""
    body = function(syntax_tree(source, tmp_path), "Set-ServerGroups")
    skips = [n for n in body.walk() if n.type == "if_statement" and "continue" in n.text
             and any(c.field == "condition" and "$group.LocalName -eq 'location'" in c.text for c in n.children)]
    return [] if skips else ["Set-ServerGroups walks <location> elements as section groups for the whole server"]


def test_the_server_wide_walk_skips_locations(tmp_path):
    assert server_walk_problems(CONFIGURE.read_text(), tmp_path) == []


def test_a_server_wide_walk_that_takes_locations_is_caught(tmp_path):
    source = CONFIGURE.read_text()
    old = "if ($group -isnot [System.Xml.XmlElement] -or $group.LocalName -eq 'location') { continue }"
    assert old in source
    broken = source.replace(old, "if ($group -isnot [System.Xml.XmlElement]) { continue }")
    assert server_walk_problems(broken, tmp_path) != []
