"""How Configure-Iis.ps1 applies server.config on Windows, read from the script (docs/windows.md W19):
every section group (the W3C log's customFields live in system.applicationHost), and collection
entries found again by their key, so a restarted container does not add them twice."""
import re

import pytest
from lxml import etree

from tests.paths import ROOT, SERVER_CONFIG

SCRIPT = ROOT / "iis" / "Configure-Iis.ps1"
# Each collection's unique key, from Microsoft's configuration reference pages.
COLLECTION_KEYS = {"allowedServerVariables": "name", "customFields": "logFieldName"}

# Configure-Iis.ps1 at 3aa580b: system.webServer only, and entries looked up by @name.
AT_3AA580B = """
foreach ($section in $server.configuration.'system.webServer'.ChildNodes) {
            $existing = Get-WebConfiguration -PSPath $apphost -Filter "$Filter/add[@name='$($entry.name)']"
"""


def script_problems(script: str) -> list[str]:
    problems = []
    if re.search(r"\$server\.configuration\.'system\.webServer'\.ChildNodes", script) or \
            "foreach ($group in $Parent.ChildNodes)" not in script:
        problems.append("applies system.webServer only: system.applicationHost (log custom fields) is ignored")
    if "add[@name=" in script or "add[@$($key.Name)='$($key.Value)']" not in script:
        problems.append("finds collection entries by @name only: a customFields entry is added again at every start")
    if "$key = $child.Attributes[0]" not in script:
        problems.append("the key is not the entry's first attribute")
    return problems


def test_configure_iis_applies_every_group_and_keys_entries():
    assert script_problems(SCRIPT.read_text()) == []


def test_the_3aa580b_code_is_caught():
    assert len(script_problems(AT_3AA580B)) == 3


@pytest.mark.parametrize("collection,key", sorted(COLLECTION_KEYS.items()))
def test_every_entry_in_server_config_starts_with_its_collection_key(collection, key):
    entries = etree.parse(str(SERVER_CONFIG)).xpath(f"//{collection}/add")
    assert entries
    for entry in entries:
        assert list(entry.attrib)[0] == key, etree.tostring(entry)


def test_server_config_has_no_collection_the_keys_table_does_not_know():
    collections = {add.getparent().tag for add in etree.parse(str(SERVER_CONFIG)).iter("add")}
    assert collections == set(COLLECTION_KEYS)
