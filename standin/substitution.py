"""The {…} substitution language of URL Rewrite: back-references, server variables, functions, maps.

https://learn.microsoft.com/iis/extensions/url-rewrite-module/url-rewrite-module-configuration-reference
("Back-references", "Server variables", "String functions", "Rewrite maps").
Parsed once at load so that an unknown name is a configuration error, not a runtime surprise.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote_plus

from .request import VARIABLES

FUNCTIONS = ("ToLower", "UrlEncode", "UrlDecode", "HtmlEncode")

# Variables the stand-in computes; HTTP_* come from headers.
KNOWN_VARIABLES = frozenset(VARIABLES)


@dataclass(frozen=True)
class Literal:
    text: str


@dataclass(frozen=True)
class BackRef:
    kind: str  # "R" or "C"
    index: int


@dataclass(frozen=True)
class Variable:
    name: str


@dataclass(frozen=True)
class Call:
    name: str  # a function or a rewrite map
    arg: "Template"


@dataclass(frozen=True)
class Template:
    parts: tuple
    source: str

    def render(self, ctx) -> str:
        """ctx provides backref(kind, n), variable(name), map_lookup(name, key)."""
        out = []
        for part in self.parts:
            if isinstance(part, Literal):
                out.append(part.text)
            elif isinstance(part, BackRef):
                out.append(ctx.backref(part.kind, part.index))
            elif isinstance(part, Variable):
                out.append(ctx.variable(part.name))
            elif part.name in FUNCTIONS:
                out.append(_FUNCS[part.name](part.arg.render(ctx)))
            else:
                out.append(ctx.map_lookup(part.name, part.arg.render(ctx)))
        return "".join(out)


def _url_encode(s: str) -> str:
    # Encodes as HttpUtility.UrlEncode does: space as '+', UTF-8 percent escapes. [INFERRED]
    return quote(s, safe="-_.!*()").replace("%20", "+")


_FUNCS = {
    "ToLower": str.lower,
    "UrlEncode": _url_encode,
    "UrlDecode": unquote_plus,
    "HtmlEncode": lambda s: html.escape(s, quote=True).replace("&#x27;", "&#39;"),
}

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse_template(text: str, maps: set[str], custom_variables: set[str]) -> Template:
    parts, pos = _parse(text, 0, maps, custom_variables, nested=False)
    return Template(tuple(parts), text)


def _parse(text, pos, maps, custom, nested):
    parts, buf = [], []
    while pos < len(text):
        ch = text[pos]
        if ch == "}" and nested:
            break
        if ch != "{":
            buf.append(ch)
            pos += 1
            continue
        if buf:
            parts.append(Literal("".join(buf)))
            buf = []
        m = _NAME.match(text, pos + 1)
        if not m:
            raise ValueError(f"'{{' at position {pos} does not start a reference")
        name, pos = m.group(0), m.end()
        if pos < len(text) and text[pos] == "}":
            upper = name.upper()
            if not (upper.startswith("HTTP_") or upper in KNOWN_VARIABLES or upper in custom):
                raise ValueError(f"server variable {{{name}}} is not one the stand-in models")
            parts.append(Variable(upper))
            pos += 1
            continue
        if pos >= len(text) or text[pos] != ":":
            raise ValueError(f"reference {{{name}… is not closed")
        if name in ("R", "C"):
            m = re.compile(r"(\d)}").match(text, pos + 1)
            if not m:
                raise ValueError(f"back-reference {{{name}:…}} takes a digit 0-9")
            parts.append(BackRef(name, int(m.group(1))))
            pos = m.end()
            continue
        func = next((f for f in FUNCTIONS if f.lower() == name.lower()), None)
        if func is None and name not in maps:
            raise ValueError(f"{{{name}:…}} is neither a function ({', '.join(FUNCTIONS)}) nor a rewrite map")
        arg_parts, pos = _parse(text, pos + 1, maps, custom, nested=True)
        if pos >= len(text):
            raise ValueError(f"{{{name}:…}} is not closed")
        parts.append(Call(func or name, Template(tuple(arg_parts), "")))
        pos += 1
    if buf:
        parts.append(Literal("".join(buf)))
    return parts, pos
