"""The Notes example under the hosting layer, at the WSGI level (the smoke suite drives it through the
proxy in a browser): links, the redirect after a POST, and the session cookie carry the prefix."""
import pytest

from app.config import from_env
from app.hosting.build import build
from app.hosting.loader import AppLoadError
from tests.app.support import IIS, iis_client
from tests.support import links

NOTES = "examples.notes:create_app()"


@pytest.fixture
def notes(env, monkeypatch):
    monkeypatch.setenv("FLASK_SECRET_KEY", "test-only")
    settings = from_env({**env, "APP_MODULE": NOTES, "APP_STATIC_DIR": "examples/notes/static"})
    return settings, iis_client(build(settings))


def test_every_link_carries_the_prefix(notes):
    settings, client = notes
    page = client.get(f"{settings.mount}/", environ_base={"REMOTE_ADDR": IIS},
                      headers={"X-Original-Host": "intranet.example", "X-Forwarded-Proto": "https"}).text
    found = links(page)
    assert found and all(l.startswith((settings.mount, f"https://intranet.example{settings.mount}")) for l in found), found


def test_post_redirect_get_and_the_session_cookie(notes):
    settings, client = notes
    saved = client.post(f"{settings.mount}/notes/", data={"text": "buy milk"}, environ_base={"REMOTE_ADDR": IIS})
    assert (saved.status_code, saved.headers["Location"]) == (303, f"{settings.mount}/notes/")
    cookie = saved.headers["Set-Cookie"]
    assert f"Path={settings.mount}" in cookie and "HttpOnly" in cookie
    listed = client.get(f"{settings.mount}/notes/", environ_base={"REMOTE_ADDR": IIS})
    assert '<li class="note">buy milk</li>' in listed.text and "Note saved." in listed.text


def test_its_own_404_page_inside_the_prefix_and_the_hosting_routes_stay(notes):
    settings, client = notes
    missing = client.get(f"{settings.mount}/nope", environ_base={"REMOTE_ADDR": IIS})
    assert missing.status_code == 404 and "Not found in Notes" in missing.text
    assert client.get(f"{settings.mount}/health").json == {"status": "ok"}


def test_without_a_secret_key_it_refuses_to_load(env, monkeypatch):
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    with pytest.raises(AppLoadError, match="set FLASK_SECRET_KEY"):
        build(from_env({**env, "APP_MODULE": NOTES}))


def test_the_signed_in_user_is_shown_and_a_client_cannot_claim_one(notes):
    settings, client = notes
    page = client.get(f"{settings.mount}/", environ_base={"REMOTE_ADDR": IIS}, headers={"X-Remote-User": "CORP\\alice"})
    assert '<span class="user">Signed in as CORP\\alice</span>' in page.text
    direct = client.get(f"{settings.mount}/", environ_base={"REMOTE_ADDR": "203.0.113.9"},
                        headers={"X-Remote-User": "CORP\\alice"})
    assert "Signed in as" not in direct.text
