"""What IIS may forward, which both app servers must accept, or users see 400s from the app:
HTTP.sys takes header lines up to 16 KB (MaxFieldLength), and URLs up to 4096 + 2048 bytes of query."""

MAX_HEADER_FIELD = 16384
MAX_REQUEST_LINE = 8190  # gunicorn's ceiling, above what IIS forwards
# HTTP.sys bounds the headers' bytes (MaxRequestBytes, 16 KB), not their number: 16 KB holds 4096
# of the shortest lines, and ARR adds its own. gunicorn's default of 100 would answer 431 first.
MAX_HEADER_LINES = 4096 + 32
# The largest WebSocket message the app takes: IIS's own receive buffer for a WebSocket connection
# (system.webServer/webSocket receiveBufferLimit, default 4194304), so that a message the app would
# take is one IIS would pass (docs/windows.md W44; the stand-in models the same limit).
MAX_WEBSOCKET_MESSAGE = 4 * 1024 * 1024
