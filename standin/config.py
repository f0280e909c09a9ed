"""Loads a site's web.config and the server settings file into one validated Config.

Anything the stand-in does not model is refused with the file, line and name, never ignored.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from . import schema
from .substitution import Template, parse_template
from .timespan import parse_timespan


class ConfigError(Exception):
    """A configuration the stand-in refuses; the message names file, line and item."""


# %NAME% in attribute values, expanded after parsing (comments are dropped, text is never
# touched). iis/Configure-Iis.ps1 applies the same rule on Windows; tests/static/test_iis_expansion.py
# checks that both do.
SETTING_REFERENCE = re.compile(r"%([A-Za-z_][A-Za-z0-9_]*)%")


@dataclass
class Condition:
    input: Template
    match_type: str
    pattern: str
    ignore_case: bool
    negate: bool
    line: int


@dataclass
class SetVariable:
    name: str
    value: Template
    replace: bool


@dataclass
class Action:
    type: str
    url: Template | None
    append_query_string: bool
    redirect_type: str
    status_code: int
    sub_status_code: int
    status_reason: Template | None
    status_description: Template | None


@dataclass
class Rule:
    name: str
    enabled: bool
    pattern_syntax: str
    stop_processing: bool
    url: str
    ignore_case: bool
    negate: bool
    logical_grouping: str
    track_all_captures: bool
    conditions: list[Condition]
    server_variables: list[SetVariable]
    action: Action
    line: int


@dataclass
class RewriteMap:
    name: str
    default: str
    ignore_case: bool
    entries: dict[str, str]

    def lookup(self, key: str) -> str:
        if self.ignore_case:
            key = key.lower()
        return self.entries.get(key, self.default)


# The MIME map the stand-in starts from: only extensions every IIS since 7.0 maps, with the types it
# maps them to. IIS's own default list is longer and differs between versions, so an extension
# outside this one is served only if the configuration adds it, after removing it (B75): on an IIS
# that already maps it, an add alone is a duplicate entry and the site answers 500.19.
CORE_MIME_TYPES = {
    ".htm": "text/html", ".html": "text/html", ".txt": "text/plain", ".css": "text/css",
    ".png": "image/png", ".gif": "image/gif", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".ico": "image/x-icon", ".xml": "text/xml",
}


@dataclass
class ClientCache:
    mode: str = "NoControl"
    max_age: int = 86400
    expires: str = ""


@dataclass
class Config:
    rules: list[Rule] = field(default_factory=list)
    log_fields: list[tuple[str, str, str]] = field(default_factory=list)  # (logFieldName, sourceName, sourceType)
    use_original_url_encoding: bool = True
    maps: dict[str, RewriteMap] = field(default_factory=dict)
    allowed_server_variables: set[str] = field(default_factory=set)
    proxy: dict = field(default_factory=dict)
    request_filtering: dict = field(default_factory=dict)
    request_limits: dict = field(default_factory=dict)
    existing_response: str = "Auto"
    custom_headers: dict[str, str] = field(default_factory=lambda: {"X-Powered-By": "ASP.NET"})
    mime_types: dict[str, str] = field(default_factory=lambda: dict(CORE_MIME_TYPES))
    client_cache: ClientCache = field(default_factory=ClientCache)


def _defaults(path: str) -> dict:
    return {k: v[1] for k, v in schema.ELEMENTS[path].items() if v[1] is not schema.REQUIRED}


class _Loader:
    def __init__(self, expand_env: bool, environ):
        self.expand_env = expand_env
        self.environ = environ
        self.config = Config(
            proxy=_defaults("system.webServer/proxy"),
            request_filtering=_defaults("system.webServer/security/requestFiltering"),
            request_limits=_defaults("system.webServer/security/requestFiltering/requestLimits"),
        )
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
            value = self.convert(el, name, self.expand(el, raw), kind)
            if not modelled and value != default:
                self.fail(el, f"attribute '{name}=\"{raw}\"' of <{el.tag}> is not modelled by the stand-in"
                          f" (only its IIS default '{default}' is accepted)")
            out[name] = value
        for name, (kind, default, _) in spec.items():
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

    def convert(self, el, name, raw, kind):
        if kind == schema.STR:
            return raw
        if kind == schema.BOOL:
            if raw.lower() not in ("true", "false"):
                self.fail(el, f"attribute '{name}' must be true or false, not '{raw}'")
            return raw.lower() == "true"
        if kind == schema.TIMESPAN:
            seconds = parse_timespan(raw)
            if seconds is None:
                self.fail(el, f"attribute '{name}' must be a time span [d.]hh:mm:ss, not '{raw}'")
            return seconds
        if isinstance(kind, schema.UInt):
            if not raw.isdigit() or not kind.low <= int(raw) <= kind.high:
                self.fail(el, f"attribute '{name}' must be a whole number from {kind.low} to {kind.high}, not '{raw}'")
            return int(raw)
        if isinstance(kind, schema.Enum):
            for v in kind.values:
                if v.lower() == raw.lower():
                    return v
            self.fail(el, f"attribute '{name}' must be one of {', '.join(kind.values)}, not '{raw}'")
        raise AssertionError(kind)

    def children(self, el, path: str):
        for child in el:
            if not isinstance(child.tag, str):  # processing instructions
                continue
            child_path = f"{path}/{child.tag}" if path else child.tag
            if child_path not in schema.ELEMENTS:
                self.fail(child, f"element <{child.tag}> ({child_path}) is not modelled by the stand-in")
            yield child, child_path

    def template(self, el, text: str) -> Template:
        try:
            return parse_template(text, set(self.config.maps), self.settable)
        except ValueError as exc:
            self.fail(el, f"in '{text}': {exc}")

    # --- sections -------------------------------------------------------------------------

    def load(self, path: Path, *, site: bool):
        root = self.parse(path)
        for el, p in self.children(root, ""):
            self.attrs(el, p)
            self.section(el, p, site)

    def section(self, el, path: str, site: bool):
        if site and path in schema.SERVER_ONLY:
            self.fail(el, f"<{el.tag}> ({path}) can only be set at server level (applicationHost.config);"
                      " put it in the server settings file")
        if not site and path in schema.SITE_ONLY:
            self.fail(el, f"<{el.tag}> ({path}) belongs in the site's web.config")
        handler = {
            "system.webServer/rewrite/rules": self.rules,
            "system.webServer/rewrite/rewriteMaps": self.maps,
            "system.webServer/rewrite/allowedServerVariables": self.allowed,
            "system.webServer/proxy": lambda e, p: self.config.proxy.update(self.attrs(e, p)),
            "system.webServer/security/requestFiltering": self.request_filtering,
            "system.webServer/httpErrors": lambda e, p: setattr(
                self.config, "existing_response", self.attrs(e, p)["existingResponse"]),
            "system.webServer/httpProtocol/customHeaders": self.custom_headers,
            "system.webServer/staticContent": self.static_content,
            "system.applicationHost/sites/siteDefaults/logFile/customFields": self.log_fields,
        }.get(path)
        if handler:
            handler(el, path)
            return
        kids = list(self.children(el, path))
        # Rewrite maps are declared anywhere in <rewrite> but rules reference them by name.
        kids.sort(key=lambda kid: kid[1] != "system.webServer/rewrite/rewriteMaps")
        for child, child_path in kids:
            self.attrs(child, child_path)
            self.section(child, child_path, site)

    def request_filtering(self, el, path):
        given = {k: v for k, v in self.attrs(el, path).items() if k in el.attrib}
        self.config.request_filtering.update(given)
        for child, child_path in self.children(el, path):
            limits = self.attrs(child, child_path)
            self.config.request_limits.update({k: v for k, v in limits.items() if k in child.attrib})

    def custom_headers(self, el, path):
        headers = self.config.custom_headers
        for child, child_path in self.children(el, path):
            a = self.attrs(child, child_path)
            if child.tag == "clear":
                headers.clear()
            elif child.tag == "remove":
                for k in [k for k in headers if k.lower() == a["name"].lower()]:
                    del headers[k]
            else:
                headers[a["name"]] = a["value"]

    def static_content(self, el, path):
        mime, removed, cleared = self.config.mime_types, set(), False
        for child, child_path in self.children(el, path):
            a = self.attrs(child, child_path)
            if child.tag == "clientCache":
                given = {k: v for k, v in a.items() if k in child.attrib}
                cache = self.config.client_cache
                cache.mode = given.get("cacheControlMode", cache.mode)
                cache.max_age = given.get("cacheControlMaxAge", cache.max_age)
                cache.expires = given.get("httpExpires", cache.expires)
                continue
            if child.tag == "clear":
                mime.clear()
                cleared = True
                continue
            ext = a["fileExtension"].lower()
            if not ext.startswith("."):
                self.fail(child, f"fileExtension '{a['fileExtension']}' must start with '.'")
            if child.tag == "remove":
                mime.pop(ext, None)
                removed.add(ext)
            elif ext in mime:
                self.fail(child, f"duplicate <mimeMap> for '{ext}': IIS answers 500.19 (cannot add duplicate"
                          " collection entry); <remove> it first")
            elif ext not in removed and not cleared:
                self.fail(child, f"<mimeMap fileExtension=\"{ext}\"> needs a <remove fileExtension=\"{ext}\" />"
                          " before it: IIS's default list may already map it (500.19 on a duplicate)")
            else:
                mime[ext] = a["mimeType"]

    def log_fields(self, el, path):
        for child, child_path in self.children(el, path):
            a = self.attrs(child, child_path)
            self.config.log_fields.append((a["logFieldName"], a["sourceName"], a["sourceType"]))

    def allowed(self, el, path):
        for child, child_path in self.children(el, path):
            self.config.allowed_server_variables.add(self.attrs(child, child_path)["name"].strip().upper())

    def maps(self, el, path):
        for m, map_path in self.children(el, path):
            a = self.attrs(m, map_path)
            entries = {}
            for add, add_path in self.children(m, map_path):
                e = self.attrs(add, add_path)
                entries[e["key"].lower() if a["ignoreCase"] else e["key"]] = e["value"]
            self.config.maps[a["name"]] = RewriteMap(a["name"], a["defaultValue"], a["ignoreCase"], entries)

    def rules(self, el, path):
        self.config.use_original_url_encoding = self.attrs(el, path)["useOriginalURLEncoding"]
        rule_els = list(self.children(el, path))
        # Custom (non-HTTP_) server variables set by any rule may be read by later inputs.
        self.settable = {
            s.get("name", "").strip().upper() for r, _ in rule_els for s in r.iterfind("serverVariables/set")
        }
        names = set()
        for r, rule_path in rule_els:
            rule = self.rule(r, rule_path)
            if rule.name in names:
                self.fail(r, f"duplicate rule name '{rule.name}'")
            names.add(rule.name)
            self.config.rules.append(rule)

    def rule(self, el, path) -> Rule:
        a = self.attrs(el, path)
        parts = {}
        for child, child_path in self.children(el, path):
            if child.tag in parts:
                self.fail(child, f"<{child.tag}> appears twice in rule '{a['name']}'")
            parts[child.tag] = (child, child_path)
        for needed in ("match", "action"):
            if needed not in parts:
                self.fail(el, f"rule '{a['name']}' has no <{needed}>")
        match_el, match_path = parts["match"]
        m = self.attrs(match_el, match_path)
        from .patterns import compile_pattern  # late import keeps the module graph acyclic

        try:
            compile_pattern(m["url"], a["patternSyntax"], m["ignoreCase"])
        except ValueError as exc:
            self.fail(match_el, f"pattern '{m['url']}': {exc}")
        grouping, track, conditions = "MatchAll", False, []
        if "conditions" in parts:
            c_el, c_path = parts["conditions"]
            ca = self.attrs(c_el, c_path)
            grouping, track = ca["logicalGrouping"], ca["trackAllCaptures"]
            for add, add_path in self.children(c_el, c_path):
                ad = self.attrs(add, add_path)
                if ad["matchType"] == "Pattern":
                    try:
                        compile_pattern(ad["pattern"], a["patternSyntax"], ad["ignoreCase"])
                    except ValueError as exc:
                        self.fail(add, f"pattern '{ad['pattern']}': {exc}")
                conditions.append(Condition(self.template(add, ad["input"]), ad["matchType"], ad["pattern"],
                                            ad["ignoreCase"], ad["negate"], add.sourceline))
        sets = []
        if "serverVariables" in parts:
            s_el, s_path = parts["serverVariables"]
            for s, set_path in self.children(s_el, s_path):
                sa = self.attrs(s, set_path)
                sets.append(SetVariable(sa["name"].strip().upper(), self.template(s, sa["value"]), sa["replace"]))
        act_el, act_path = parts["action"]
        ac = self.attrs(act_el, act_path)
        kind = ac["type"]
        if kind in ("Rewrite", "Redirect") and not ac["url"]:
            self.fail(act_el, f"a {kind} action needs a url")
        if kind == "CustomResponse" and not ac["statusCode"]:
            self.fail(act_el, "a CustomResponse action needs a statusCode")
        if kind == "CustomResponse" and 300 <= ac["statusCode"] <= 307:
            # The schema's validation excludes redirects: they belong to the Redirect action.
            self.fail(act_el, f"statusCode {ac['statusCode']} is not allowed for CustomResponse (300-307 excluded)")
        action = Action(
            kind,
            self.template(act_el, ac["url"].strip()) if ac["url"] else None,
            ac["appendQueryString"], ac["redirectType"], ac["statusCode"], ac["subStatusCode"],
            self.template(act_el, ac["statusReason"]) if ac["statusReason"] else None,
            self.template(act_el, ac["statusDescription"]) if ac["statusDescription"] else None,
        )
        return Rule(a["name"], a["enabled"], a["patternSyntax"], a["stopProcessing"], m["url"], m["ignoreCase"],
                    m["negate"], grouping, track, conditions, sets, action, el.sourceline)

    settable: set[str] = set()


def load(web_config: Path | str, server_settings: Path | str | None = None, *, expand_env: bool = False,
         environ=None) -> Config:
    """Server settings first (they are the parent level), then the site's web.config."""
    loader = _Loader(expand_env, os.environ if environ is None else environ)
    if server_settings is not None:
        loader.load(Path(server_settings), site=False)
    loader.load(Path(web_config), site=True)
    return loader.config
