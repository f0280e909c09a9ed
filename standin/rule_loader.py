"""Builds one rewrite rule from its <rule> element: the match, the conditions, the server
variables it sets and its action, each checked as URL Rewrite checks it when it loads the rule."""
from __future__ import annotations

from .model import Action, Condition, Rule, SetVariable
from .patterns import compile_pattern
from .substitution import Template, parse_template
from .xml_reader import XmlReader


class RuleLoader:
    """maps: the rewrite maps' names; settable: the custom server variables some rule sets (a later
    input may read them)."""

    def __init__(self, reader: XmlReader, maps: set[str], settable: set[str]):
        self.reader, self.maps, self.settable = reader, maps, settable

    def template(self, el, text: str) -> Template:
        try:
            return parse_template(text, self.maps, self.settable)
        except ValueError as exc:
            self.reader.fail(el, f"in '{text}': {exc}")

    def pattern(self, el, pattern: str, syntax: str, ignore_case: bool) -> None:
        try:
            compile_pattern(pattern, syntax, ignore_case)
        except ValueError as exc:
            self.reader.fail(el, f"pattern '{pattern}': {exc}")

    def rule(self, el, path) -> Rule:
        a = self.reader.attrs(el, path)
        parts = self.parts(el, path, a["name"])
        match_el, match_path = parts["match"]
        m = self.reader.attrs(match_el, match_path)
        self.pattern(match_el, m["url"], a["patternSyntax"], m["ignoreCase"])
        grouping, track, conditions = "MatchAll", False, []
        if "conditions" in parts:
            grouping, track, conditions = self.conditions(*parts["conditions"], a["patternSyntax"])
        sets = self.server_variables(*parts["serverVariables"]) if "serverVariables" in parts else []
        return Rule(a["name"], a["enabled"], a["patternSyntax"], a["stopProcessing"], m["url"], m["ignoreCase"],
                    m["negate"], grouping, track, conditions, sets, self.action(*parts["action"]), el.sourceline)

    def parts(self, el, path, name: str) -> dict:
        """The rule's child elements by tag: each at most once, <match> and <action> required."""
        parts = {}
        for child, child_path in self.reader.children(el, path):
            if child.tag in parts:
                self.reader.fail(child, f"<{child.tag}> appears twice in rule '{name}'")
            parts[child.tag] = (child, child_path)
        for needed in ("match", "action"):
            if needed not in parts:
                self.reader.fail(el, f"rule '{name}' has no <{needed}>")
        return parts

    def conditions(self, el, path, syntax: str) -> tuple[str, bool, list[Condition]]:
        ca = self.reader.attrs(el, path)
        conditions = []
        for add, add_path in self.reader.children(el, path):
            ad = self.reader.attrs(add, add_path)
            if ad["matchType"] == "Pattern":
                self.pattern(add, ad["pattern"], syntax, ad["ignoreCase"])
            conditions.append(Condition(self.template(add, ad["input"]), ad["matchType"], ad["pattern"],
                                        ad["ignoreCase"], ad["negate"], add.sourceline))
        return ca["logicalGrouping"], ca["trackAllCaptures"], conditions

    def server_variables(self, el, path) -> list[SetVariable]:
        sets = []
        for s, set_path in self.reader.children(el, path):
            sa = self.reader.attrs(s, set_path)
            sets.append(SetVariable(sa["name"].strip().upper(), self.template(s, sa["value"]), sa["replace"]))
        return sets

    def action(self, el, path) -> Action:
        ac = self.reader.attrs(el, path)
        kind = ac["type"]
        if kind in ("Rewrite", "Redirect") and not ac["url"]:
            self.reader.fail(el, f"a {kind} action needs a url")
        if kind == "CustomResponse" and not ac["statusCode"]:
            self.reader.fail(el, "a CustomResponse action needs a statusCode")
        if kind == "CustomResponse" and 300 <= ac["statusCode"] <= 307:
            # The schema's validation excludes redirects: they belong to the Redirect action.
            self.reader.fail(el, f"statusCode {ac['statusCode']} is not allowed for CustomResponse (300-307 excluded)")
        return Action(
            kind,
            self.template(el, ac["url"].strip()) if ac["url"] else None,
            ac["appendQueryString"], ac["redirectType"], ac["statusCode"], ac["subStatusCode"],
            self.template(el, ac["statusReason"]) if ac["statusReason"] else None,
            self.template(el, ac["statusDescription"]) if ac["statusDescription"] else None,
        )
