"""Loads a site's web.config and the server settings file into one validated Config: each section
of the files to the part of the Config it sets, server settings first (the parent level).

Anything the stand-in does not model is refused with the file, line and name, never ignored.
"""
from __future__ import annotations

import os
from pathlib import Path

from . import schema
from .model import Config, RewriteMap
from .rule_loader import RuleLoader
from .xml_reader import SETTING_REFERENCE, ConfigError, XmlReader

__all__ = ["SETTING_REFERENCE", "Config", "ConfigError", "load"]


def _defaults(path: str) -> dict:
    return {k: v[1] for k, v in schema.ELEMENTS[path].items() if v[1] is not schema.REQUIRED}


class _Loader:
    def __init__(self, expand_env: bool, environ):
        self.reader = XmlReader(expand_env, environ)
        self.config = Config(
            proxy=_defaults("system.webServer/proxy"),
            request_filtering=_defaults("system.webServer/security/requestFiltering"),
            request_limits=_defaults("system.webServer/security/requestFiltering/requestLimits"),
            http_runtime=_defaults("system.web/httpRuntime"),
            dynamic_ip={"denyAction": "Forbidden",
                        "concurrent": _defaults("system.webServer/security/dynamicIpSecurity/denyByConcurrentRequests"),
                        "rate": _defaults("system.webServer/security/dynamicIpSecurity/denyByRequestRate")},
        )

    def load(self, path: Path, *, site: bool):
        root = self.reader.parse(path)
        for el, p in self.reader.children(root, ""):
            self.reader.attrs(el, p)
            self.section(el, p, site)

    def section(self, el, path: str, site: bool):
        if site and path in schema.SERVER_ONLY:
            self.reader.fail(el, f"<{el.tag}> ({path}) can only be set at server level (applicationHost.config);"
                      " put it in the server settings file")
        if not site and path in schema.SITE_ONLY:
            self.reader.fail(el, f"<{el.tag}> ({path}) belongs in the site's web.config")
        handler = {
            "system.webServer/rewrite/rules": self.rules,
            "system.webServer/rewrite/rewriteMaps": self.maps,
            "system.webServer/rewrite/allowedServerVariables": self.allowed,
            "system.webServer/proxy": lambda e, p: self.config.proxy.update(self.reader.attrs(e, p)),
            "system.webServer/security/requestFiltering": self.request_filtering,
            "system.webServer/httpErrors": lambda e, p: setattr(
                self.config, "existing_response", self.reader.attrs(e, p)["existingResponse"]),
            "system.webServer/httpProtocol/customHeaders": self.custom_headers,
            "system.webServer/staticContent": self.static_content,
            "system.applicationHost/sites/siteDefaults/logFile/customFields": self.log_fields,
            "location": self.location,
            "system.webServer/modules": self.modules,
            "system.web/httpRuntime": lambda e, p: self.config.http_runtime.update(self.reader.attrs(e, p)),
            "system.webServer/security/dynamicIpSecurity": self.dynamic_ip,
        }.get(path)
        if handler:
            handler(el, path)
            return
        kids = list(self.reader.children(el, path))
        # Rewrite maps are declared anywhere in <rewrite> but rules reference them by name.
        kids.sort(key=lambda kid: kid[1] != "system.webServer/rewrite/rewriteMaps")
        for child, child_path in kids:
            self.reader.attrs(child, child_path)
            self.section(child, child_path, site)

    def request_filtering(self, el, path):
        given = {k: v for k, v in self.reader.attrs(el, path).items() if k in el.attrib}
        self.config.request_filtering.update(given)
        for child, child_path in self.reader.children(el, path):
            limits = self.reader.attrs(child, child_path)
            self.config.request_limits.update({k: v for k, v in limits.items() if k in child.attrib})

    def custom_headers(self, el, path):
        headers = self.config.custom_headers
        for child, child_path in self.reader.children(el, path):
            a = self.reader.attrs(child, child_path)
            if child.tag == "clear":
                headers.clear()
            elif child.tag == "remove":
                for k in [k for k in headers if k.lower() == a["name"].lower()]:
                    del headers[k]
            else:
                headers[a["name"]] = a["value"]

    def static_content(self, el, path):
        mime, removed, cleared = self.config.mime_types, set(), False
        for child, child_path in self.reader.children(el, path):
            a = self.reader.attrs(child, child_path)
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
                self.reader.fail(child, f"fileExtension '{a['fileExtension']}' must start with '.'")
            if child.tag == "remove":
                mime.pop(ext, None)
                removed.add(ext)
            elif ext in mime:
                self.reader.fail(child, f"duplicate <mimeMap> for '{ext}': IIS answers 500.19 (cannot add duplicate"
                          " collection entry); <remove> it first")
            elif ext not in removed and not cleared:
                self.reader.fail(child, f"<mimeMap fileExtension=\"{ext}\"> needs a <remove fileExtension=\"{ext}\" />"
                          " before it: IIS's default list may already map it (500.19 on a duplicate)")
            else:
                mime[ext] = a["mimeType"]

    # The sign-on module's class (iis/RemoteUserHeaderModule.cs), the only managed module modelled.
    REMOTE_USER_MODULE = "RemoteUserHeaderModule"

    def location(self, el, path):
        """Authentication for a path: the nearest <location> that sets an attribute wins for it."""
        settings = self.config.authentication.setdefault(self.reader.attrs(el, path)["path"].strip("/").lower(), {})

        def walk(node, node_path):
            for child, child_path in self.reader.children(node, node_path):
                given = {k: v for k, v in self.reader.attrs(child, child_path).items() if k in child.attrib}
                if "enabled" in given:
                    settings[{"anonymousAuthentication": "anonymous", "windowsAuthentication": "windows"}[child.tag]] \
                        = given["enabled"]
                walk(child, child_path)

        walk(el, path)

    def modules(self, el, path):
        for child, child_path in self.reader.children(el, path):
            a = self.reader.attrs(child, child_path)
            if a["type"] != self.REMOTE_USER_MODULE:
                self.reader.fail(child, f"module type '{a['type']}' is not modelled by the stand-in (only "
                                        f"{self.REMOTE_USER_MODULE}, the sign-on module)")
            self.config.remote_user_module = a["preCondition"]

    def dynamic_ip(self, el, path):
        settings = self.config.dynamic_ip
        settings["denyAction"] = self.reader.attrs(el, path)["denyAction"]
        for child, child_path in self.reader.children(el, path):
            key = {"denyByConcurrentRequests": "concurrent", "denyByRequestRate": "rate"}[child.tag]
            settings[key].update(self.reader.attrs(child, child_path))

    def log_fields(self, el, path):
        for child, child_path in self.reader.children(el, path):
            a = self.reader.attrs(child, child_path)
            self.config.log_fields.append((a["logFieldName"], a["sourceName"], a["sourceType"]))

    def allowed(self, el, path):
        for child, child_path in self.reader.children(el, path):
            self.config.allowed_server_variables.add(self.reader.attrs(child, child_path)["name"].strip().upper())

    def maps(self, el, path):
        for m, map_path in self.reader.children(el, path):
            a = self.reader.attrs(m, map_path)
            entries = {}
            for add, add_path in self.reader.children(m, map_path):
                e = self.reader.attrs(add, add_path)
                entries[e["key"].lower() if a["ignoreCase"] else e["key"]] = e["value"]
            self.config.maps[a["name"]] = RewriteMap(a["name"], a["defaultValue"], a["ignoreCase"], entries)

    def rules(self, el, path):
        self.config.use_original_url_encoding = self.reader.attrs(el, path)["useOriginalURLEncoding"]
        rule_els = list(self.reader.children(el, path))
        # Custom (non-HTTP_) server variables set by any rule may be read by later inputs.
        settable = {
            s.get("name", "").strip().upper() for r, _ in rule_els for s in r.iterfind("serverVariables/set")
        }
        loader = RuleLoader(self.reader, set(self.config.maps), settable)
        names = set()
        for r, rule_path in rule_els:
            rule = loader.rule(r, rule_path)
            if rule.name in names:
                self.reader.fail(r, f"duplicate rule name '{rule.name}'")
            names.add(rule.name)
            self.config.rules.append(rule)


def load(web_config: Path | str, server_settings: Path | str | None = None, *, expand_env: bool = False,
         environ=None) -> Config:
    """Server settings first (they are the parent level), then the site's web.config."""
    loader = _Loader(expand_env, os.environ if environ is None else environ)
    if server_settings is not None:
        loader.load(Path(server_settings), site=False)
    loader.load(Path(web_config), site=True)
    return loader.config
