"""The app at the WSGI level: routes, prefix, proxy trust, limits and settings."""
import pytest

from app.config import ConfigError, from_env
from tests.app.support import IIS, iis_client


def get(client, path, remote=IIS, **kw):
    return client.get(path, environ_base={"REMOTE_ADDR": remote}, **kw)


def test_routes_as_published(client, settings):
    p = settings.mount
    assert get(client, f"{p}/").text == "Hello World!!!"
    assert get(client, f"{p}/help").text == "This is the Help Page"
    assert get(client, f"{p}/health").json == {"status": "ok"}


@pytest.mark.parametrize("path", ["/", "/help", "/other", "/myAppX", "/MYAPP/help"])
def test_everything_outside_the_prefix_is_404(client, path):
    assert get(client, path).status_code == 404


def test_links_and_redirects_carry_the_original_scheme_host_and_prefix(client, settings):
    headers = {"Host": "app:50100", "X-Original-Host": "www.example.com:8443", "X-Forwarded-Proto": "https",
               "X-Forwarded-For": "203.0.113.9"}
    seen = get(client, f"{settings.mount}/_diagnostics", headers=headers).json
    assert seen["link"] == f"https://www.example.com:8443{settings.mount}/health"
    assert (seen["remote_addr"], seen["scheme"], seen["script_root"]) == ("203.0.113.9", "https", settings.mount)
    assert (seen["as_received"]["REMOTE_ADDR"], seen["as_received"]["HTTP_HOST"]) == (IIS, "app:50100")
    redirect = get(client, f"{settings.mount}/_diagnostics/redirect", headers=headers)
    assert redirect.status_code == 302
    assert redirect.headers["Location"] == f"https://www.example.com:8443{settings.mount}/health"


def test_hsts_only_on_https(client, settings):
    assert "Strict-Transport-Security" not in get(client, f"{settings.mount}/").headers
    resp = get(client, f"{settings.mount}/", headers={"X-Forwarded-Proto": "https"})
    assert resp.headers["Strict-Transport-Security"] == f"max-age={settings.hsts_seconds}"


def test_only_one_hop_of_x_forwarded_for_is_trusted(client, settings):
    headers = {"X-Forwarded-For": "6.6.6.6, 203.0.113.9"}  # a client-supplied entry, then IIS's
    assert get(client, f"{settings.mount}/_diagnostics", headers=headers).json["remote_addr"] == "203.0.113.9"


def test_forwarded_headers_from_a_direct_client_are_ignored(client, settings):
    headers = {"Host": "app:50100", "X-Original-Host": "evil.example", "X-Forwarded-Host": "evil.example",
               "X-Forwarded-Proto": "https", "X-Forwarded-For": "6.6.6.6"}
    seen = get(client, f"{settings.mount}/_diagnostics", remote="10.0.0.99", headers=headers).json
    assert (seen["remote_addr"], seen["scheme"], seen["host"]) == ("10.0.0.99", "http", "app:50100")
    assert "X-Original-Host" not in seen["headers"] and "X-Forwarded-For" not in seen["headers"]


def test_x_forwarded_host_from_the_proxy_is_not_used_only_x_original_host(client, settings):
    seen = get(client, f"{settings.mount}/_diagnostics", headers={"X-Forwarded-Host": "other.example"}).json
    assert seen["host"] == "localhost"


def test_diagnostics_is_off_by_default(project_env):

    from app.hosting.build import build

    settings = from_env(project_env)
    assert settings.diagnostics is False
    assert iis_client(build(settings)).get(f"{settings.mount}/_diagnostics").status_code == 404


def test_body_over_the_limit_is_413(env):

    from app.hosting.build import build

    settings = from_env({**env, "MAX_BODY_BYTES": "10"})
    resp = iis_client(build(settings)).post(f"{settings.mount}/_diagnostics", data=b"x" * 11,
                                        environ_base={"REMOTE_ADDR": IIS})
    assert resp.status_code == 413


def test_debug_stays_off_even_if_the_environment_asks(settings, monkeypatch):
    from app.hosting.loader import load_app

    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert load_app(settings.app_module).debug is False


@pytest.mark.parametrize("change,message", [
    ({"APP_PREFIX": "my/App"}, "APP_PREFIX"),
    ({"APP_PORT": "eighty"}, "APP_PORT"),
    ({"APP_PORT": ""}, "APP_PORT is not set"),
    ({"IIS_ADDRESS": "iis"}, "IIS_ADDRESS"),
    ({"APP_TIMEOUT_SECONDS": "60", "PROXY_TIMEOUT": "00:01:00"}, "must be below PROXY_TIMEOUT"),
    ({"APP_SERVER": "uwsgi"}, "APP_SERVER='uwsgi' is invalid: waitress or gunicorn"),
    # Windows' select() takes 512 sockets a process (docs/windows.md W41).
    ({"APP_CONNECTIONS": "501"}, "APP_CONNECTIONS='501' is invalid: a whole number from 1 to 500"),
    ({"APP_CONNECTIONS": "0"}, "APP_CONNECTIONS='0' is invalid"),
])
def test_bad_settings_fail_fast_with_a_clear_message(env, change, message):
    with pytest.raises(ConfigError, match=message):
        from_env({**env, **change})


def test_gunicorn_is_refused_on_windows(env, monkeypatch):
    from app import config

    monkeypatch.setattr(config.os, "name", "nt")
    with pytest.raises(ConfigError, match="APP_SERVER=gunicorn does not run on Windows"):
        from_env({**env, "APP_SERVER": "gunicorn"})
    assert config.server_problem("waitress") is None
    monkeypatch.undo()
    assert from_env({**env, "APP_SERVER": "gunicorn"}).server == "gunicorn"
    assert config.server_problem("gunicorn") is None


def test_all_problems_are_reported_at_once(env):
    with pytest.raises(ConfigError) as err:
        from_env({**env, "APP_PORT": "x", "APP_WORKERS": "0"})
    assert "APP_PORT" in str(err.value) and "APP_WORKERS" in str(err.value)


def test_on_a_swarm_the_one_hop_is_the_private_networks_subnet(env):
    """docker-stack*.yml: IIS_ADDRESS is the overlay's subnet, which only iis and app join."""

    from app.hosting.build import build

    settings = from_env({**env, "IIS_ADDRESS": "172.30.60.0/24"})
    client = iis_client(build(settings))
    headers = {"X-Forwarded-For": "203.0.113.9", "X-Original-Host": "intranet.example"}
    inside = client.get(f"{settings.mount}/_diagnostics", headers=headers,
                        environ_base={"REMOTE_ADDR": "172.30.60.7"}).json
    outside = client.get(f"{settings.mount}/_diagnostics", headers=headers,
                         environ_base={"REMOTE_ADDR": "172.30.61.7"}).json
    assert (inside["remote_addr"], inside["host"]) == ("203.0.113.9", "intranet.example")
    assert outside["remote_addr"] == "172.30.61.7" and outside["host"] != "intranet.example"
    assert settings.bind_address == "0.0.0.0"


@pytest.mark.parametrize("value", ["172.30.60.5/24", "not-an-address", "172.30.60.0/33"])
def test_iis_address_must_be_an_address_or_an_exact_network(env, value):
    with pytest.raises(ConfigError, match="IIS_ADDRESS"):
        from_env({**env, "IIS_ADDRESS": value})


def test_the_wsgi_module_exposes_application_as_wsgi_servers_expect(env, monkeypatch):
    import importlib

    import app.hosting.build

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    module = importlib.reload(app.hosting.build)
    response = iis_client(module.application).get(f"/{env['APP_PREFIX']}/health", environ_base={"REMOTE_ADDR": IIS})
    assert response.status_code == 200 and response.json == {"status": "ok"}
