"""What IIS may forward, which both app servers must accept, or users see 400s from the app:
HTTP.sys takes header lines up to 16 KB (MaxFieldLength), and URLs up to 4096 + 2048 bytes of query."""

MAX_HEADER_FIELD = 16384
MAX_REQUEST_LINE = 8190  # gunicorn's ceiling, above what IIS forwards
