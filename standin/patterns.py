"""The three pattern syntaxes of URL Rewrite, as Python matchers.

https://learn.microsoft.com/iis/extensions/url-rewrite-module/url-rewrite-module-configuration-reference
("Rule pattern syntax"): ECMAScript regexes match anywhere in the input (search), Wildcard and
ExactMatch compare the whole input; all are case-insensitive unless ignoreCase="false".
"""
from __future__ import annotations

import re
from functools import lru_cache

# Python-only or post-ES3 regex syntax that IIS's native ECMAScript engine is not known to accept.
_NOT_PORTABLE = [
    (re.compile(r"\(\?<[=!]"), "lookbehind"),
    (re.compile(r"\(\?P?<[A-Za-z_]"), "named groups"),
    (re.compile(r"\(\?[aiLmsux]"), "inline flags"),
    (re.compile(r"(?<!\\)\\[AZ]"), "\\A / \\Z anchors"),
]


class Matcher:
    def __init__(self, syntax: str, pattern: str, ignore_case: bool):
        self.syntax, self.pattern, self.ignore_case = syntax, pattern, ignore_case
        if syntax == "ECMAScript":
            for probe, what in _NOT_PORTABLE:
                if probe.search(pattern):
                    raise ValueError(f"{what} are not ECMAScript (ES3) syntax as IIS's engine accepts it")
            flags = re.ASCII | (re.IGNORECASE if ignore_case else 0)
            try:
                self.regex = re.compile(pattern, flags)
            except re.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from None
        elif syntax == "Wildcard":
            if "?" in pattern:
                # Documented as "one character", reported unsupported in practice: refuse rather than guess.
                raise ValueError("'?' in a Wildcard pattern is not modelled (its IIS behaviour is disputed)")
            body = "".join("(.*)" if ch == "*" else re.escape(ch) for ch in pattern)
            self.regex = re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))
        else:
            self.regex = None

    def match(self, text: str) -> list[str] | None:
        """Captures ([0] is the whole match) or None."""
        if self.syntax == "ECMAScript":
            m = self.regex.search(text)
        elif self.syntax == "Wildcard":
            m = self.regex.fullmatch(text)
        else:
            equal = text.lower() == self.pattern.lower() if self.ignore_case else text == self.pattern
            return [text] if equal else None
        if m is None:
            return None
        return [m.group(0)] + [g if g is not None else "" for g in m.groups()]


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str, syntax: str, ignore_case: bool) -> Matcher:
    return Matcher(syntax, pattern, ignore_case)
