"""Windows sign-on, the app's side (app/hosting/wsgi.py RemoteUser): the user IIS authenticated reaches
the app as REMOTE_USER from the one trusted hop only; a client's own header never does."""
import pytest

from app.config import from_env
from app.hosting.build import build
from tests.app.support import IIS, iis_client


@pytest.fixture
def client(env):
    settings = from_env({**env, "APP_MODULE": "tests.app.wsgi_apps:who"})
    return settings, iis_client(build(settings))


def seen(client, headers=None, remote=IIS, **environ):
    settings, c = client
    return c.get(f"{settings.mount}/", headers=headers or {}, environ_base={"REMOTE_ADDR": remote, **environ}).text


def test_the_user_iis_signed_in_becomes_remote_user(client):
    assert seen(client, {"X-Remote-User": "CORP\\alice"}) == "CORP\\alice|-"


def test_from_anyone_else_the_header_is_dropped(client):
    assert seen(client, {"X-Remote-User": "CORP\\alice"}, remote="203.0.113.9") == "-|-"


def test_no_header_is_no_user_whatever_the_server_set(client):
    assert seen(client, REMOTE_USER="set-by-the-server") == "-|-"
    assert seen(client, {"X-Remote-User": ""}) == "-|-"


def test_two_headers_joined_are_no_user(client):
    """A client's copy that IIS failed to remove would arrive joined to the real one."""
    assert seen(client, {"X-Remote-User": "mallory, CORP\\alice"}) == "-|-"
