"""The site's own content, as IIS's static file handler serves it: default documents, a folder
without its slash redirected, the MIME map (404.3 otherwise), GET and HEAD only, clientCache (B75)."""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

from .answers import Answers
from .http_sys import FileResponse
from .model import Config

DEFAULT_DOCUMENTS = ("Default.htm", "Default.asp", "index.htm", "index.html", "iisstart.htm")


class Site:
    def __init__(self, config: Config, root: Path, answers: Answers):
        self.config, self.root, self.answers = config, root.resolve(), answers

    def serve(self, method: str, url_path: str) -> web.StreamResponse:
        target = (self.root / url_path.lstrip("/")).resolve()
        if self.root not in (target, *target.parents):
            return self.answers.error(404, 0, "The resource you are looking for has been removed or is unavailable.")
        if target.is_dir():
            if not url_path.endswith("/"):
                resp = self.answers.base(301)
                resp.headers["Location"] = url_path + "/"
                return resp
            target = next((target / d for d in DEFAULT_DOCUMENTS if (target / d).is_file()), target)
        if not target.is_file():
            return self.answers.error(404, 0, "The resource you are looking for has been removed, had its name"
                                              " changed, or is temporarily unavailable.")
        mime_type = self.config.mime_types.get(target.suffix.lower())
        if mime_type is None:
            return self.answers.error(404, 3, "The page you are requesting cannot be served because of the"
                                              " extension configuration. If the page is a script, add a handler."
                                              " If the file should be downloaded, add a MIME map.")
        if method not in ("GET", "HEAD"):
            return self.answers.error(405, 0, "The page you are looking for cannot be displayed because an invalid"
                                              " method (HTTP verb) is being used.")
        resp = FileResponse(target, headers={"Content-Type": mime_type})
        self.answers.server_headers(resp.headers)
        self.cache_headers(resp.headers)
        return resp

    def cache_headers(self, headers) -> None:
        cache = self.config.client_cache
        if cache.mode == "DisableCache":
            headers["Cache-Control"] = "no-cache"
        elif cache.mode == "UseMaxAge":
            headers["Cache-Control"] = f"max-age={int(cache.max_age)}"
        elif cache.mode == "UseExpires" and cache.expires:
            headers["Expires"] = cache.expires
