"""How Configure-Iis.ps1 applies server.config on Windows, read from the script's syntax tree
(docs/windows.md W19): every section group (the W3C log's customFields live in
system.applicationHost), and collection entries found again by their key, so a restarted
container does not add them twice (that the add waits for the lookup is
test_windows_scripts.py's)."""
import re

import pytest
from lxml import etree

from tests.paths import ROOT, SERVER_CONFIG
from tests.static.powershell import commands, syntax_tree

SCRIPT = ROOT / "iis" / "Configure-Iis.ps1"
# Each collection's unique key, from Microsoft's configuration reference pages.
COLLECTION_KEYS = {"allowedServerVariables": "name", "customFields": "logFieldName"}
KEY_FILTER = "add[@$($key.Name)='$($key.Value)']"

# Configure-Iis.ps1 at 3aa580b (lines 54-82): system.webServer only, entries looked up by @name.
AT_3AA580B = r"""
function Set-ServerElement([System.Xml.XmlElement] $Element, [string] $Filter) {
    foreach ($child in $Element.ChildNodes) {
        if ($child -isnot [System.Xml.XmlElement]) { continue }
        if ($child.LocalName -eq 'add') {
            $entry = @{}
            foreach ($attribute in $child.Attributes) { $entry[$attribute.Name] = $attribute.Value }
            $existing = Get-WebConfiguration -PSPath $apphost -Filter "$Filter/add[@name='$($entry.name)']"
            if (-not $existing) {
                Add-WebConfigurationProperty -PSPath $apphost -Filter $Filter -Name '.' -Value $entry
            }
        } else {
            Set-ServerElement $child "$Filter/$($child.LocalName)"
        }
    }
}
$server = [xml] (Expand-Settings $ServerSettings $defaults)
foreach ($section in $server.configuration.'system.webServer'.ChildNodes) {
    if ($section -is [System.Xml.XmlElement]) {
        Set-ServerElement $section "system.webServer/$($section.LocalName)"
    }
}
"""


def script_problems(source: str, tmp_path) -> list[str]:
    tree = syntax_tree(source, tmp_path)
    found = commands(tree)
    problems = []
    named_groups = [n.text for n in tree.walk() if n.type == "foreach_statement"
                    and re.search(r"\.'system\.\w+'\.ChildNodes\s*\)", n.text.split("{", 1)[0])]
    walks_all = any(c.name == "Set-ServerGroups" and c.arguments[:1] == ["$server.configuration"] for c in found)
    if named_groups or not walks_all:
        problems.append("applies one named section group: system.applicationHost (log custom fields) is ignored")
    lookups = [c for c in found if c.name == "Get-WebConfiguration"]
    if not lookups or any(not (c.parameters.get("-filter") or "").endswith(KEY_FILTER + '"') for c in lookups):
        problems.append("finds collection entries by @name only: a customFields entry is added again at every start")
    keys = [n for n in tree.walk() if n.type == "assignment_expression" and n.text.startswith("$key ")]
    if [k.children[-1].text for k in keys] != ["$child.Attributes[0]"]:
        problems.append("the key is not the entry's first attribute")
    return problems


def test_configure_iis_applies_every_group_and_keys_entries(tmp_path):
    assert script_problems(SCRIPT.read_text(), tmp_path) == []


def test_the_3aa580b_code_is_caught(tmp_path):
    assert script_problems(AT_3AA580B, tmp_path) == [
        "applies one named section group: system.applicationHost (log custom fields) is ignored",
        "finds collection entries by @name only: a customFields entry is added again at every start",
        "the key is not the entry's first attribute",
    ]


@pytest.mark.parametrize("collection,key", sorted(COLLECTION_KEYS.items()))
def test_every_entry_in_server_config_starts_with_its_collection_key(collection, key):
    entries = etree.parse(str(SERVER_CONFIG)).xpath(f"//{collection}/add")
    assert entries
    for entry in entries:
        assert list(entry.attrib)[0] == key, etree.tostring(entry)


def test_server_config_has_no_collection_the_keys_table_does_not_know():
    collections = {add.getparent().tag for add in etree.parse(str(SERVER_CONFIG)).iter("add")}
    assert collections == set(COLLECTION_KEYS)
