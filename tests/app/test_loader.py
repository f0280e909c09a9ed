"""APP_MODULE: gunicorn's naming, and an error that names the module, the attribute or the exception."""
import pytest

from app.hosting.loader import AppLoadError, load_app
from tests.app import wsgi_apps


def test_an_attribute_and_a_factory_call():
    assert load_app("tests.app.wsgi_apps:plain") is wsgi_apps.plain
    assert load_app("tests.app.wsgi_apps:factory()") is wsgi_apps.plain


def test_the_seed_app_is_the_default_and_a_flask_app(project_env):
    app = load_app(project_env["APP_MODULE"])
    assert project_env["APP_MODULE"] == "app.web:create_app()"
    assert app.url_map.bind("x").match("/help") == ("help", {})


@pytest.mark.parametrize("spec,message", [
    ("app.web", "is not 'package.module:name'"),
    ("no_such_package.web:app", "no module named 'no_such_package'"),
    ("tests.app.wsgi_apps:nope", "has no attribute 'nope'"),
    ("tests.app.wsgi_apps:NOT_AN_APP", "is a int, not a WSGI or ASGI app"),
    ("tests.app.wsgi_apps:factory", "if it is a factory, write tests.app.wsgi_apps:factory()"),
    ("tests.app.wsgi_apps:failing_factory()", "failing_factory() failed:"),
    ("tests.app.broken_module:app", "importing tests.app.broken_module failed:"),
])
def test_a_bad_app_module_names_what_is_wrong(spec, message):
    with pytest.raises(AppLoadError, match=None) as err:
        load_app(spec)
    assert message in str(err.value) and spec in str(err.value)


def test_the_exception_text_is_in_the_message():
    with pytest.raises(AppLoadError) as err:
        load_app("tests.app.wsgi_apps:failing_factory()")
    assert "RuntimeError: the database is not configured" in str(err.value)
    with pytest.raises(AppLoadError) as err:
        load_app("tests.app.broken_module:app")
    assert "cannot import name 'missing_helper'" in str(err.value)
