import pytest
from werkzeug.test import Client

from app.config import from_env
from app.wsgi import build
from tests.app.support import IIS


@pytest.fixture
def env(project_env):
    return {**project_env, "APP_DIAGNOSTICS": "true", "IIS_ADDRESS": IIS}


@pytest.fixture
def settings(env):
    return from_env(env)


@pytest.fixture
def client(settings):
    """A WSGI client; requests come from IIS's address unless environ_base says otherwise."""
    return Client(build(settings))
