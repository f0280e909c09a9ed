"""The largest WebSocket message: the app's (uvicorn's ws_max_size) is IIS's own receive buffer, the
one the stand-in applies, so a message the app takes is one IIS passes (docs/windows.md W44)."""
from app.server.limits import MAX_WEBSOCKET_MESSAGE
from app.server.uvicorn_server import config
from standin.websocket import RECEIVE_BUFFER_LIMIT

# Microsoft, "WebSocket <webSocket>": receiveBufferLimit, "The default value is 4194304."
IIS_RECEIVE_BUFFER_LIMIT = 4194304


def test_the_app_and_the_stand_in_take_the_same_largest_message(project_env):
    from app.config import from_env

    assert MAX_WEBSOCKET_MESSAGE == RECEIVE_BUFFER_LIMIT == IIS_RECEIVE_BUFFER_LIMIT
    assert config(object(), from_env(project_env)).ws_max_size == MAX_WEBSOCKET_MESSAGE
