"""The configuration elements and attributes the stand-in knows, with IIS's types and defaults.

Sources (defaults): URL Rewrite schema (rewrite_schema.xml) and the configuration references at
https://learn.microsoft.com/iis/extensions/url-rewrite-module/url-rewrite-module-configuration-reference
https://learn.microsoft.com/iis/configuration/system.webserver/security/requestfiltering/requestlimits/
ARR schema (arr_schema.xml), https://learn.microsoft.com/iis/configuration/system.webserver/httperrors/
https://learn.microsoft.com/iis/configuration/system.webserver/staticcontent/clientcache

Each attribute is (type, default, modelled). An attribute that the stand-in does not model is
accepted only at its IIS default, so that a setting is never silently ignored.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Enum:
    values: tuple[str, ...]


@dataclass(frozen=True)
class UInt:
    low: int = 0
    high: int = 2**32 - 1


BOOL, STR, TIMESPAN = "bool", "string", "timespan"
REQUIRED = object()

_RULE = {
    "name": (STR, REQUIRED, True),
    "enabled": (BOOL, True, True),
    "patternSyntax": (Enum(("ECMAScript", "Wildcard", "ExactMatch")), "ECMAScript", True),
    "stopProcessing": (BOOL, False, True),
    # Controls the kernel output cache; the stand-in has no cache, so only the default is accepted.
    "responseCacheDirective": (Enum(("Auto", "Always", "Never", "NotIfRuleMatched")), "Auto", False),
}

# element path (below <configuration>) -> attributes
ELEMENTS: dict[str, dict[str, tuple]] = {
    "system.webServer": {},
    "system.webServer/rewrite": {},
    "system.webServer/rewrite/rules": {"useOriginalURLEncoding": (BOOL, True, True)},
    "system.webServer/rewrite/rules/rule": _RULE,
    "system.webServer/rewrite/rules/rule/match": {
        "url": (STR, REQUIRED, True),
        "ignoreCase": (BOOL, True, True),
        "negate": (BOOL, False, True),
    },
    "system.webServer/rewrite/rules/rule/conditions": {
        "logicalGrouping": (Enum(("MatchAll", "MatchAny")), "MatchAll", True),
        "trackAllCaptures": (BOOL, False, True),
    },
    "system.webServer/rewrite/rules/rule/conditions/add": {
        "input": (STR, REQUIRED, True),
        "matchType": (Enum(("Pattern", "IsFile", "IsDirectory")), "Pattern", True),
        "pattern": (STR, "", True),
        "ignoreCase": (BOOL, True, True),
        "negate": (BOOL, False, True),
    },
    "system.webServer/rewrite/rules/rule/serverVariables": {},
    "system.webServer/rewrite/rules/rule/serverVariables/set": {
        "name": (STR, REQUIRED, True),
        "value": (STR, "", True),
        "replace": (BOOL, True, True),
    },
    "system.webServer/rewrite/rules/rule/action": {
        "type": (Enum(("None", "Rewrite", "Redirect", "CustomResponse", "AbortRequest")), "None", True),
        "url": (STR, "", True),
        "appendQueryString": (BOOL, True, True),
        "logRewrittenUrl": (BOOL, False, False),
        "redirectType": (Enum(("Permanent", "Found", "SeeOther", "Temporary")), "Permanent", True),
        "statusCode": (UInt(100, 999), 0, True),
        "subStatusCode": (UInt(0, 999), 0, True),
        "statusReason": (STR, "", True),
        "statusDescription": (STR, "", True),
    },
    "system.webServer/rewrite/rewriteMaps": {},
    "system.webServer/rewrite/rewriteMaps/rewriteMap": {
        "name": (STR, REQUIRED, True),
        "defaultValue": (STR, "", True),
        "ignoreCase": (BOOL, True, True),
    },
    "system.webServer/rewrite/rewriteMaps/rewriteMap/add": {
        "key": (STR, REQUIRED, True),
        "value": (STR, "", True),
    },
    "system.webServer/rewrite/allowedServerVariables": {},
    "system.webServer/rewrite/allowedServerVariables/add": {"name": (STR, REQUIRED, True)},
    "system.webServer/proxy": {
        "enabled": (BOOL, False, True),
        "timeout": (TIMESPAN, 120, True),
        "preserveHostHeader": (BOOL, False, True),
        "reverseRewriteHostInResponseHeaders": (BOOL, True, True),
        "xForwardedForHeaderName": (STR, "X-Forwarded-For", True),
        "includePortInXForwardedFor": (BOOL, True, True),
        "arrResponseHeader": (BOOL, True, True),
        "responseBufferLimit": (UInt(), 4096, True),
        "maxForwards": (UInt(1, 2**31 - 1), 10, True),
        "logGuidName": (STR, "X-ARR-LOG-ID", True),
        "sslHeaderName": (STR, "X-ARR-SSL", True),
        "clientCertHeaderName": (STR, "X-ARR-ClientCert", True),
        "passServerHeader": (Enum(("Replace", "Remove", "PassThrough")), "Replace", True),
        "httpVersion": (Enum(("PassThrough", "Http10", "Http11")), "PassThrough", False),
        "keepAlive": (BOOL, True, False),
        "minResponseBuffer": (UInt(), 256, False),
        "maxResponseHeaderSize": (UInt(), 65536, False),
        "bufferChunkedResponses": (BOOL, True, False),
        "passConnectionCloseHeader": (BOOL, False, False),
        "xForwardedByHeaderName": (STR, "X-Forwarded-By", False),
        "stealthMode": (BOOL, False, False),
    },
    "system.webServer/security": {},
    "system.webServer/security/requestFiltering": {
        "allowDoubleEscaping": (BOOL, False, True),
        "allowHighBitCharacters": (BOOL, True, True),
        "removeServerHeader": (BOOL, False, True),
        "unescapeQueryString": (BOOL, True, False),
    },
    "system.webServer/security/requestFiltering/requestLimits": {
        "maxAllowedContentLength": (UInt(), 30000000, True),
        "maxUrl": (UInt(), 4096, True),
        "maxQueryString": (UInt(), 2048, True),
    },
    "system.webServer/httpErrors": {
        "existingResponse": (Enum(("Auto", "Replace", "PassThrough")), "Auto", True),
    },
    # Static files (B75): which extensions IIS serves, and the client-cache headers it adds.
    "system.webServer/staticContent": {},
    "system.webServer/staticContent/clientCache": {
        "cacheControlMode": (Enum(("NoControl", "DisableCache", "UseMaxAge", "UseExpires")), "NoControl", True),
        "cacheControlMaxAge": (TIMESPAN, 86400, True),
        "httpExpires": (STR, "", True),
        # How IIS joins custom directives with max-age is not documented: only the default is accepted.
        "cacheControlCustom": (STR, "", False),
        "setEtag": (BOOL, True, False),
    },
    "system.webServer/staticContent/mimeMap": {
        "fileExtension": (STR, REQUIRED, True), "mimeType": (STR, REQUIRED, True)},
    "system.webServer/staticContent/remove": {"fileExtension": (STR, REQUIRED, True)},
    "system.webServer/staticContent/clear": {},
    "system.webServer/httpProtocol": {},
    "system.webServer/httpProtocol/customHeaders": {},
    "system.webServer/httpProtocol/customHeaders/add": {"name": (STR, REQUIRED, True), "value": (STR, "", True)},
    "system.webServer/httpProtocol/customHeaders/remove": {"name": (STR, REQUIRED, True)},
    "system.webServer/httpProtocol/customHeaders/clear": {},
    # W3C log custom fields (IIS 8.5+), server level: only the collection is modelled.
    "system.applicationHost": {},
    "system.applicationHost/sites": {},
    "system.applicationHost/sites/siteDefaults": {},
    "system.applicationHost/sites/siteDefaults/logFile": {},
    "system.applicationHost/sites/siteDefaults/logFile/customFields": {},
    "system.applicationHost/sites/siteDefaults/logFile/customFields/add": {
        "logFieldName": (STR, REQUIRED, True),
        "sourceName": (STR, REQUIRED, True),
        "sourceType": (Enum(("RequestHeader", "ResponseHeader", "ServerVariable")), REQUIRED, True),
    },
}

# Authentication per path, at server level only (both sections are overrideModeDefault="Deny"):
# <location path="..."> in server.config, its path relative to the site (Configure-Iis.ps1 puts the
# site's name in front). Only enabled is modelled; every other attribute only at its default.
# https://learn.microsoft.com/iis/configuration/system.webserver/security/authentication/anonymousauthentication
# https://learn.microsoft.com/iis/configuration/system.webserver/security/authentication/windowsauthentication
ELEMENTS.update({
    "location": {"path": (STR, REQUIRED, True)},
    "location/system.webServer": {},
    "location/system.webServer/security": {},
    "location/system.webServer/security/authentication": {},
    "location/system.webServer/security/authentication/anonymousAuthentication": {"enabled": (BOOL, True, True)},
    "location/system.webServer/security/authentication/windowsAuthentication": {"enabled": (BOOL, False, True)},
    # Managed modules in the site's web.config: only the sign-on module this project ships
    # (iis/RemoteUserHeaderModule.cs) is modelled; preCondition decides whether it runs for ARR.
    "system.webServer/modules": {},
    "system.webServer/modules/add": {"name": (STR, REQUIRED, True), "type": (STR, REQUIRED, True),
                                     "preCondition": (STR, "", True)},
})

# Dynamic IP Restrictions (B80): server level only (the section is overrideModeDefault="Deny").
# Logging-only mode and proxy mode are accepted at their defaults only.
# https://learn.microsoft.com/iis/configuration/system.webserver/security/dynamicipsecurity/
ELEMENTS.update({
    "system.webServer/security/dynamicIpSecurity": {
        "denyAction": (Enum(("AbortRequest", "Unauthorized", "Forbidden", "NotFound")), "Forbidden", True),
        "enableLoggingOnlyMode": (BOOL, False, False),
        "enableProxyMode": (BOOL, False, False),
    },
    "system.webServer/security/dynamicIpSecurity/denyByConcurrentRequests": {
        "enabled": (BOOL, False, True), "maxConcurrentRequests": (UInt(1), 5, True)},
    "system.webServer/security/dynamicIpSecurity/denyByRequestRate": {
        "enabled": (BOOL, False, True), "maxRequests": (UInt(1), 20, True),
        "requestIntervalInMilliseconds": (UInt(1), 200, True)},
})

# ASP.NET's request checks, which a managed module without a precondition brings onto every request
# (B79; docs/windows.md W38): the path limits and characters, and the physical-path check. Other
# httpRuntime attributes are accepted at their defaults only. Defaults: referencesource
# System.Web/Configuration/HttpRuntimeSection.cs.
ELEMENTS.update({
    "system.web": {},
    "system.web/httpRuntime": {
        "maxUrlLength": (UInt(0, 2097151), 260, True),
        "maxQueryStringLength": (UInt(0, 2097151), 2048, True),
        "requestPathInvalidCharacters": (STR, "<,>,*,%,&,:,\\,?", True),
        "relaxedUrlToFileSystemMapping": (BOOL, False, True),
    },
})

# Sections IIS only accepts at server level (applicationHost.config): allowDefinition="AppHostOnly"
# for <proxy>, and <allowedServerVariables> is locked (overrideModeDefault="Deny").
SERVER_ONLY = ("system.webServer/proxy", "system.webServer/rewrite/allowedServerVariables", "system.applicationHost",
               "system.webServer/security/dynamicIpSecurity",
               "location")
# The site's web.config holds the distributed rules; the server settings file never does here.
# <system.web> is ASP.NET's, read from the application's configuration (relaxedUrlToFileSystemMapping
# from there only: referencesource HttpRuntime.cs), not from applicationHost.config.
SITE_ONLY = ("system.webServer/rewrite/rules", "system.webServer/rewrite/rewriteMaps", "system.web")
