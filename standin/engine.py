"""Runs the inbound rules of a Config against a Request, the way URL Rewrite does at BeginRequest.

Evaluation order, stopProcessing, captures, conditions and actions follow
https://learn.microsoft.com/iis/extensions/url-rewrite-module/url-rewrite-module-configuration-reference
and, for trackAllCaptures and server variables,
https://learn.microsoft.com/iis/extensions/url-rewrite-module/url-rewrite-module-20-configuration-reference
The result carries a trace of every rule, which the `test` command prints.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from .model import Config, Rule
from .patterns import compile_pattern

REDIRECT_STATUS = {"Permanent": 301, "Found": 302, "SeeOther": 303, "Temporary": 307}
_ABSOLUTE = re.compile(r"^(https?)://([^/?#]*)(.*)$", re.IGNORECASE)


@dataclass
class Outcome:
    kind: str  # proxy | redirect | custom | abort | error | site
    status: int = 200
    substatus: int = 0
    url: str = ""  # proxy target, redirect Location, or the site-relative URL to serve
    reason: str = ""
    description: str = ""
    header_changes: dict[str, str | None] = field(default_factory=dict)  # request headers: value or None (remove)
    variables: dict[str, str] = field(default_factory=dict)
    trace: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "rules": self.trace,
            "server_variables": self.variables,
            "request_headers_set": {k: v for k, v in self.header_changes.items() if v is not None},
            "request_headers_removed": sorted(k for k, v in self.header_changes.items() if v is None),
            "action": self.kind,
            "status": self.status,
            "substatus": self.substatus,
            "url": self.url,
        }


def header_name(variable: str) -> str:
    """HTTP_X_ORIGINAL_HOST -> x-original-host (the 2.0 reference's 'Note about request headers')."""
    return variable[5:].replace("_", "-").lower()


def _encode(url: str, reencode: bool) -> str:
    """useOriginalURLEncoding=true re-encodes the substituted path (its {R:n} are decoded);
    false sends it as written. Either way, characters that cannot go on a request line are escaped."""
    path, sep, query = url.partition("?")
    safe = "/:@!$&'()*+,;=-._~" + ("" if reencode else "%")
    return quote(path, safe=safe) + sep + quote(query, safe="/:@!$&'()*+,;=-._~%?")


class _Evaluation:
    def __init__(self, config: Config, request):
        self.config, self.request = config, request
        self.rule_captures: list[str] = []
        self.cond_captures: list[str] = []
        self.variables: dict[str, str] = {}
        self.header_changes: dict[str, str | None] = {}
        self.trace: list[dict] = []
        # The current URL: rewrites change it, and a later rule sees the change.
        self.url_path: str = request.path
        self.query: str = request.raw_query
        self.proxy_target: str | None = None

    def finish(self, outcome: Outcome) -> Outcome:
        outcome.trace, outcome.header_changes = self.trace, self.header_changes
        outcome.variables = dict(self.variables)
        return outcome

    # ctx protocol of substitution.Template
    def backref(self, kind: str, index: int) -> str:
        caps = self.rule_captures if kind == "R" else self.cond_captures
        return caps[index] if index < len(caps) else ""

    def variable(self, name: str) -> str:
        if name in self.variables:
            return self.variables[name]
        return self.request.variable(name)

    def map_lookup(self, name: str, key: str) -> str:
        return self.config.maps[name].lookup(key)

    def conditions(self, rule: Rule, trace: list) -> bool:
        self.cond_captures = []
        accumulated: list[str] = []
        for cond in rule.conditions:
            text = cond.input.render(self)
            if cond.match_type == "Pattern":
                caps = compile_pattern(cond.pattern, rule.pattern_syntax, cond.ignore_case).match(text)
                hit = caps is not None
            else:
                # IsFile/IsDirectory test a physical path, usually {REQUEST_FILENAME}.
                hit = Path(text).is_file() if cond.match_type == "IsFile" else Path(text).is_dir()
                caps = [text] if hit else None
            matched = hit != cond.negate
            entry = {"input": text, "matchType": cond.match_type, "pattern": cond.pattern, "negate": cond.negate,
                     "matched": matched}
            if matched and not cond.negate and caps:
                entry["captures"] = caps
                if rule.track_all_captures:
                    accumulated += caps if not accumulated else caps[1:]
                    self.cond_captures = accumulated
                else:
                    self.cond_captures = caps
            trace.append(entry)
            if rule.logical_grouping == "MatchAll" and not matched:
                return False
            if rule.logical_grouping == "MatchAny" and matched:
                return True
        return rule.logical_grouping == "MatchAll" or not rule.conditions

    def run(self) -> Outcome:
        for rule in self.config.rules:
            entry = {"name": rule.name, "line": rule.line}
            self.trace.append(entry)
            if not self.matches(rule, entry):
                continue
            ended = self.set_variables(rule, entry) or self.act(rule, entry)
            if ended:
                return self.finish(ended)
            if rule.stop_processing:
                break
        return self.finish(self.final())

    def matches(self, rule: Rule, entry: dict) -> bool:
        """The rule's pattern against the current path (no leading slash), then its conditions."""
        if not rule.enabled:
            entry["enabled"] = False
            return False
        text = self.url_path[1:] if self.url_path.startswith("/") else self.url_path
        caps = compile_pattern(rule.url, rule.pattern_syntax, rule.ignore_case).match(text)
        entry.update(input=text, pattern=rule.url)
        if (caps is not None) == rule.negate:
            entry["matched"] = False
            return False
        self.rule_captures = [] if rule.negate else caps
        entry["captures"] = self.rule_captures
        entry["conditions"] = []
        entry["matched"] = self.conditions(rule, entry["conditions"])
        return entry["matched"]

    def set_variables(self, rule: Rule, entry: dict) -> Outcome | None:
        """The rule's <serverVariables>; a variable not in the allowed list is URL Rewrite's 500.50."""
        for sv in rule.server_variables:
            if sv.name not in self.config.allowed_server_variables:
                entry["error"] = f'The server variable "{sv.name}" is not allowed to be set.'
                return Outcome("error", 500, 50, reason="URL Rewrite Module Error.",
                               description=entry["error"] + " Add the server variable name to the allowed server"
                               " variable list.")
            exists = sv.name in self.variables or (
                sv.name.startswith("HTTP_") and self.request.header(sv.name[5:].replace("_", "-")) is not None)
            if exists and not sv.replace:
                continue
            value = sv.value.render(self)
            self.variables[sv.name] = value
            if sv.name.startswith("HTTP_"):
                self.header_changes[header_name(sv.name)] = value if value else None
        entry["server_variables"] = {sv.name: self.variables.get(sv.name, "") for sv in rule.server_variables}
        return None

    def act(self, rule: Rule, entry: dict) -> Outcome | None:
        """An action that ends evaluation returns its outcome; a Rewrite changes the current URL."""
        action = rule.action
        entry["action"] = action.type
        if action.type == "AbortRequest":
            return Outcome("abort", 0)
        if action.type == "CustomResponse":
            reason = action.status_reason.render(self) if action.status_reason else ""
            description = action.status_description.render(self) if action.status_description else ""
            return Outcome("custom", action.status_code, action.sub_status_code, reason=reason,
                           description=description)
        if action.type not in ("Rewrite", "Redirect"):
            return None
        target = action.url.render(self)
        own, _, own_query = target.partition("?")
        new_query = own_query
        if action.append_query_string and self.query:
            new_query = f"{own_query}&{self.query}" if own_query else self.query
        target = own + (f"?{new_query}" if new_query else "")
        entry["url"] = target
        reencode = self.config.use_original_url_encoding
        if action.type == "Redirect":
            if not _ABSOLUTE.match(target) and not target.startswith("/"):
                # A relative url is taken from the site root, not the request's folder (B71).
                target = "/" + target
            return Outcome("redirect", REDIRECT_STATUS[action.redirect_type], url=_encode(target, reencode))
        if _ABSOLUTE.match(target):
            self.proxy_target = _encode(target, reencode)
            self.url_path = own
        else:
            self.proxy_target = None
            self.url_path = own if own.startswith("/") else "/" + own
        self.query = new_query
        return None

    def final(self) -> Outcome:
        """After the last rule: the proxy target if a rule set one, else the site's own URL."""
        if self.proxy_target is None:
            return Outcome("site", url=self.url_path + (f"?{self.query}" if self.query else ""))
        if not self.config.proxy["enabled"]:
            # Without ARR's proxy the absolute URL is not routed anywhere: IIS answers 404. [INFERRED]
            return Outcome("error", 404, 0, reason="Not Found",
                           description="A rule rewrote to an absolute URL but the proxy is not enabled.")
        return Outcome("proxy", url=self.proxy_target)


def evaluate(config: Config, request) -> Outcome:
    return _Evaluation(config, request).run()
