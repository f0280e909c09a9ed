"""One source of truth: every setting is defined once in .env.example, and every file that uses a
setting takes it from there (compose ${VAR}, IIS %VAR%, the app's config module); the README's
configuration table lists each."""
import re

from tests.paths import ENV_EXAMPLE, ROOT, read_env_file

SETTINGS = read_env_file(ENV_EXAMPLE)


def used_in(pattern, *names):
    found = set()
    for name in names:
        found |= set(re.findall(pattern, (ROOT / name).read_text()))
    return found


def test_every_compose_variable_is_defined():
    used = used_in(r"\$\{([A-Z_][A-Z0-9_]*)", "docker-compose.yml", "docker-compose.linux.yml",
                   "docker-compose.https.yml")
    assert used - set(SETTINGS) == set()


def test_every_iis_reference_is_defined():
    from lxml import etree

    used = set()
    for name in ("iis/web.config", "iis/server.config"):
        for element in etree.parse(str(ROOT / name)).iter():
            for value in getattr(element, "attrib", {}).values():
                used |= set(re.findall(r"%([A-Za-z_][A-Za-z0-9_]*)%", value))
    assert used and used - set(SETTINGS) == set()


def test_every_app_setting_is_defined():
    used = used_in(r'get\("([A-Z_]+)"', "app/config.py")
    assert used and used - set(SETTINGS) == set()


def test_every_setting_is_used_somewhere():
    text = "".join((ROOT / f).read_text() for f in [
        "docker-compose.yml", "docker-compose.linux.yml", "docker-compose.https.yml", "iis/web.config",
        "iis/server.config", "app/config.py"])
    unused = [k for k in SETTINGS if k not in text]
    assert unused == []


def test_every_setting_is_in_the_readme_configuration_table():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    missing = [k for k in SETTINGS if f"`{k}`" not in table]
    assert missing == []


def test_no_literal_copies_of_the_prefix_or_ports_in_the_deployment_files():
    for name in ["docker-compose.yml", "docker-compose.linux.yml", "iis/web.config", "iis/server.config",
                 "Dockerfile.app", "Dockerfile.iis", "Dockerfile.iis-standin", "app/web.py", "app/wsgi.py",
                 "app/serve.py"]:
        text = (ROOT / name).read_text()
        for key in ("APP_PREFIX", "APP_PORT", "IIS_HTTP_PORT", "IIS_ADDRESS", "MAX_BODY_BYTES"):
            assert not re.search(rf"(?<![\w.-]){re.escape(SETTINGS[key])}(?![\w.-])", text), f"{key} in {name}"


def test_windows_images_default_to_one_windows_version():
    version, app_base = SETTINGS["WINDOWS_VERSION"], SETTINGS["WINDOWS_APP_BASE_IMAGE"]
    python_tag = {"ltsc2019": "1809"}.get(version, version)
    assert app_base.endswith(f"-windowsservercore-{python_tag}")
