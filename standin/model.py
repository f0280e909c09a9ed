"""What a loaded configuration is: the rewrite rules and maps, and the server's settings (proxy,
request filtering, headers, static content, log fields), as the engine and the server read them.
standin/config.py builds one from the files."""
from __future__ import annotations

from dataclasses import dataclass, field

from .substitution import Template


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
    # <location path> (site-relative, as written) -> {"anonymous"|"windows": enabled}, as set there.
    authentication: dict[str, dict[str, bool]] = field(default_factory=dict)
    # The sign-on module's registration (web.config <modules>): its preCondition, or None if absent.
    remote_user_module: str | None = None
    # Dynamic IP Restrictions (B80): denyAction, and the two children's attributes.
    dynamic_ip: dict = field(default_factory=dict)
    # ASP.NET's <httpRuntime> checks (B79), which apply while a managed module runs for every request.
    http_runtime: dict = field(default_factory=dict)

    @property
    def managed_pipeline(self) -> bool:
        """A managed module without a precondition runs for every request, ARR's included (B77)."""
        return self.remote_user_module == ""
