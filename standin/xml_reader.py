"""Reading IIS configuration XML strictly: each element and attribute checked against
standin/schema.py, values typed, %NAME% settings expanded; anything not modelled is refused with the
file, line and name, never ignored."""
from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from iisformat.timespan import parse_timespan

from . import schema


class ConfigError(Exception):
    """A configuration the stand-in refuses; the message names file, line and item."""


# %NAME% in attribute values, expanded after parsing (comments are dropped, text is never
# touched). iis/Configure-Iis.ps1 applies the same rule on Windows; tests/static/test_iis_expansion.py
# checks that both do.
SETTING_REFERENCE = re.compile(r"%([A-Za-z_][A-Za-z0-9_]*)%")


class XmlReader:
    """One file at a time (source), with the process's settings for %NAME% when expand_env."""

    def __init__(self, expand_env: bool, environ):
        self.expand_env = expand_env
        self.environ = environ
        self.source = ""

    def fail(self, el, message: str):
        raise ConfigError(f"{self.source}:{el.sourceline}: {message}")

    def parse(self, path: Path):
        self.source = str(path)
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True)
        try:
            root = etree.parse(str(path), parser).getroot()
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc}") from None
        except etree.XMLSyntaxError as exc:
            raise ConfigError(f"{path}:{exc.lineno}: not well-formed XML: {exc.msg}") from None
        if root.tag != "configuration":
            self.fail(root, f"root element is <{root.tag}>, expected <configuration>")
        return root

    def attrs(self, el, path: str) -> dict:
        """Validated, typed attributes of el, defaults filled in."""
        spec = schema.ELEMENTS[path]
        out = {}
        for name, raw in el.attrib.items():
            if name not in spec:
                self.fail(el, f"attribute '{name}' of <{el.tag}> ({path}) is not one IIS defines there"
                          " or the stand-in models")
            kind, default, modelled = spec[name]
            value = self.convert(el, name, self.expand(el, raw), kind, raw)
            if not modelled and value != default:
                self.fail(el, f"attribute '{name}=\"{raw}\"' of <{el.tag}> is not modelled by the stand-in"
                          f" (only its IIS default '{default}' is accepted)")
            out[name] = value
        for name, (_kind, default, _modelled) in spec.items():
            if name not in out:
                if default is schema.REQUIRED:
                    self.fail(el, f"<{el.tag}> needs the attribute '{name}'")
                out[name] = default
        return out

    def expand(self, el, raw: str) -> str:
        if not self.expand_env:
            return raw

        def sub(m):
            name = m.group(1)
            if name not in self.environ:
                self.fail(el, f"environment variable %{name}% is referenced but not set")
            return self.environ[name]

        return SETTING_REFERENCE.sub(sub, raw)

    def convert(self, el, name, raw, kind, written=None):
        """raw: the value to convert; written: as the file has it, so that a bad value names the
        setting (%NAME%) it came from."""
        settings = SETTING_REFERENCE.findall(written or "")
        what = f"attribute '{name}'" + (f" (set by {', '.join(settings)})" if settings else "")
        if kind == schema.STR:
            return raw
        if kind == schema.BOOL:
            if raw.lower() not in ("true", "false"):
                self.fail(el, f"{what} must be true or false, not '{raw}'")
            return raw.lower() == "true"
        if kind == schema.TIMESPAN:
            seconds = parse_timespan(raw)
            if seconds is None or seconds < 0:
                self.fail(el, f"{what} must be a time span [d.]hh:mm:ss[.fffffff] (hours 0-23), not '{raw}'")
            return seconds
        if isinstance(kind, schema.UInt):
            if not raw.isdigit() or not kind.low <= int(raw) <= kind.high:
                self.fail(el, f"{what} must be a whole number from {kind.low} to {kind.high}, not '{raw}'")
            return int(raw)
        if isinstance(kind, schema.Enum):
            for v in kind.values:
                if v.lower() == raw.lower():
                    return v
            self.fail(el, f"{what} must be one of {', '.join(kind.values)}, not '{raw}'")
        raise AssertionError(kind)

    def children(self, el, path: str):
        for child in el:
            if not isinstance(child.tag, str):  # processing instructions
                continue
            child_path = f"{path}/{child.tag}" if path else child.tag
            if child_path not in schema.ELEMENTS:
                self.fail(child, f"element <{child.tag}> ({child_path}) is not modelled by the stand-in")
            yield child, child_path
