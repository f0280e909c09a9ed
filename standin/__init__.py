"""A Linux stand-in for IIS 10 + URL Rewrite 2.1 + ARR 3.0.

Test infrastructure, not a production proxy: it executes a site's web.config and the
server-level settings file the way IIS does, so the rules can be proved on Linux.
Behaviour table with sources: docs/standin.md.
"""
