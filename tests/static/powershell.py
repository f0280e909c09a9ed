"""PowerShell read on Linux through tools/ps-parse (a tree-sitter grammar under node): its syntax
errors, and its syntax tree, from which the static checks read what a script does (which command
runs with which parameters, under which condition) instead of matching its text."""
from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tests.paths import ROOT

PS_PARSE = ROOT / "tools" / "ps-parse"


def ps_parse(*files):
    return subprocess.run(["node", "--no-deprecation", str(PS_PARSE / "parse.mjs"), *map(str, files)],
                          capture_output=True, text=True, timeout=60)


@dataclass
class Node:
    type: str
    text: str
    field: str | None
    children: list[Node]
    parent: Node | None = None

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


def syntax_tree(source: str, tmp_dir: Path) -> Node:
    path = tmp_dir / "script.ps1"
    path.write_text(source)
    result = subprocess.run(["node", "--no-deprecation", str(PS_PARSE / "parse.mjs"), "--tree", str(path)],
                            capture_output=True, text=True, timeout=60, check=True)

    def build(raw, parent):
        node = Node(raw["type"], source[raw["start"]:raw["end"]], raw.get("field"), [], parent)
        node.children = [build(child, node) for child in raw["children"]]
        return node

    return build(json.loads(result.stdout), None)


@dataclass
class Command:
    """One command invocation: its name as written, and each -Parameter with its argument's text
    (None for a switch)."""
    name: str
    parameters: dict[str, str | None] = field(default_factory=dict)
    arguments: list[str] = field(default_factory=list)  # positional, in order
    node: Node | None = None

    def conditions(self) -> list[str]:
        """The conditions of the if statements the command runs under, innermost first."""
        return [child.text for node in self.node.ancestors() if node.type == "if_statement"
                for child in node.children if child.field == "condition"]


def commands(tree: Node) -> list[Command]:
    found = []
    for node in tree.walk():
        if node.type != "command":
            continue
        name = next(c.text for c in node.children if c.field == "command_name")
        command = Command(name, node=node)
        elements = [c for n in node.children if n.field == "command_elements" for c in n.children
                    if c.type != "command_argument_sep"]
        taken = set()
        for i, element in enumerate(elements):
            if element.type == "command_parameter":
                following = elements[i + 1] if i + 1 < len(elements) else None
                is_value = following is not None and following.type != "command_parameter"
                command.parameters[element.text.lower()] = following.text if is_value else None
                if is_value:
                    taken.add(i + 1)
            elif i not in taken:
                command.arguments.append(element.text)
        found.append(command)
    return found


# "$name:" not followed by a name character: PowerShell reads a scope or drive ("$env:X") and refuses
# the script before running any of it ("Variable reference is not valid. ':' was not followed by a
# valid variable name character"); tree-sitter's grammar accepts it.
BAD_VARIABLE_REFERENCE = re.compile(r"\$\w+:(?![\w{:])")


def bad_variable_references(source: str) -> list[str]:
    """Lines outside comments where one stands."""
    return [line.strip() for line in source.splitlines()
            if not line.lstrip().startswith("#") and BAD_VARIABLE_REFERENCE.search(line)]
