"""IIS-style error responses.

The status line carries the HTTP status; the sub-status (e.g. 404.13) appears, as on IIS's
detailed error page, in the body: https://learn.microsoft.com/troubleshoot/developer/webapps/iis/health-diagnostic-performance/http-status-code
"""
from __future__ import annotations

import html
from http import HTTPStatus


def error_page(status: int, substatus: int, description: str, reason: str = "") -> tuple[str, str]:
    """(reason phrase, HTML body)."""
    try:
        phrase = reason or HTTPStatus(status).phrase
    except ValueError:
        phrase = reason or "Error"
    code = f"{status}.{substatus}" if substatus else str(status)
    body = (
        "<!DOCTYPE html><html><head><title>IIS 10.0 Detailed Error - "
        f"{code} - {html.escape(phrase)}</title></head><body>"
        f"<h1>HTTP Error {code} - {html.escape(phrase)}</h1>"
        f"<p>{html.escape(description)}</p></body></html>\n"
    )
    return phrase, body
