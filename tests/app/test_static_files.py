"""The app's side of IIS serving its static files: at start, the hosted app's static folder must be
APP_STATIC_DIR, the folder the IIS image copies (app/hosting/static_files.py)."""
import pytest
from flask import Flask

from app.config import ConfigError, from_env
from app.hosting.build import build
from app.hosting.static_files import check_static_folder
from tests.paths import ROOT


def test_the_seed_app_and_the_defaults_agree(settings):
    assert settings.iis_static_files and settings.static_dir == "app/static"
    build(settings)  # raises on a mismatch
    assert (ROOT / settings.static_dir).is_dir()


def test_another_folder_is_refused_naming_the_right_setting(env):
    with pytest.raises(ConfigError) as err:
        build(from_env({**env, "APP_STATIC_DIR": "examples/notes/static"}))
    assert "the app's static folder is" in str(err.value)
    assert str(err.value).endswith("Set APP_STATIC_DIR=app/static")


def test_with_iis_static_files_off_nothing_is_checked(env):
    build(from_env({**env, "APP_STATIC_DIR": "examples/notes/static", "IIS_STATIC_FILES": "false"}))


def test_a_flask_app_without_static_folder_or_with_another_url_is_refused():
    with pytest.raises(ConfigError, match="static_folder=None"):
        check_static_folder(Flask("app.web", static_folder=None), "app/static")
    with pytest.raises(ConfigError, match="'/assets'"):
        check_static_folder(Flask("app.web", static_url_path="/assets"), "app/static")
    assert check_static_folder(Flask("app.web"), "app/static") is None


def test_an_app_that_is_not_flask_is_served_with_a_warning():
    warning = check_static_folder(lambda environ, start_response: [], "app/static")
    assert "could not be checked" in warning


@pytest.mark.parametrize("value", ["/srv/app/static", "../app/static", "app\\static", ""])
def test_app_static_dir_must_be_a_relative_posix_path_inside_the_project(env, value):
    with pytest.raises(ConfigError, match="APP_STATIC_DIR"):
        from_env({**env, "APP_STATIC_DIR": value})
