"""One source of truth: every setting is defined once in .env.example, and every file that uses a
setting takes it from there (compose ${VAR}, IIS %VAR%, the app's config module); the README's
configuration table lists each."""
import re

from app import config
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


def test_every_app_setting_is_defined():
    used = {name for _, name, _, _ in config.SETTINGS}
    assert used and used - set(SETTINGS) == set()


def test_every_setting_is_used_somewhere():
    text = "".join((ROOT / f).read_text() for f in [
        "docker-compose.yml", "docker-compose.linux.yml", "docker-compose.https.yml", "docker-stack.yml",
        "docker-stack.linux.yml", "iis/web.config",
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
                 "Dockerfile.app", "Dockerfile.iis", "Dockerfile.iis-standin", "app/web.py", "app/hosting/build.py",
                 "app/hosting/wsgi.py", "app/server/__main__.py"]:
        text = (ROOT / name).read_text()
        for key in ("APP_PREFIX", "APP_PORT", "IIS_HTTP_PORT", "IIS_ADDRESS", "MAX_BODY_BYTES"):
            assert not re.search(rf"(?<![\w.-]){re.escape(SETTINGS[key])}(?![\w.-])", text), f"{key} in {name}"


# docker-library/python builds Windows images for these only: Windows Server 2019 / 1809 was
# removed on 2025-05-30 (docker-library/python#1047), and its tags are no longer updated.
WINDOWS_VERSIONS = ("ltsc2022", "ltsc2025")


def windows_version_problems(env_example: str, readme: str) -> list[str]:
    problems = []
    settings = dict(l.split("=", 1) for l in env_example.splitlines() if "=" in l and not l.startswith("#"))
    version, app_base = settings["WINDOWS_VERSION"], settings["WINDOWS_APP_BASE_IMAGE"]
    if version not in WINDOWS_VERSIONS:
        problems.append(f"WINDOWS_VERSION={version}")
    if not app_base.endswith(f"-windowsservercore-{version}"):
        problems.append(f"WINDOWS_APP_BASE_IMAGE={app_base} is not for {version}")
    for name, text in ((".env.example", env_example), ("README.md", readme)):
        for paragraph in re.split(r"\n\s*\n", text):  # a mention is fine where it says so
            if re.search(r"ltsc2019|\b1809\b", paragraph) and "not supported" not in paragraph:
                problems.append(f"{name} offers Windows Server 2019: {paragraph.strip()[:80]}")
    return problems


def test_windows_images_exist_for_the_offered_windows_versions():
    assert windows_version_problems(ENV_EXAMPLE.read_text(), (ROOT / "README.md").read_text()) == []


def test_an_offer_of_ltsc2019_is_caught():
    """Known-bad input: .env.example at 3aa580b."""
    old = ("# Windows Server version of the Windows images: ltsc2019, ltsc2022 or ltsc2025.\n"
           "WINDOWS_VERSION=ltsc2022\n# Python's tags say 1809 for ltsc2019.\n"
           "WINDOWS_APP_BASE_IMAGE=python:3.13-windowsservercore-ltsc2022\n")
    assert [p.split(":")[0] for p in windows_version_problems(old, "")] == [".env.example offers Windows Server 2019"]


def test_the_readme_stays_a_front_door():
    """What it is, run it, use it, configure, HTTPS, troubleshoot, test: at most 450 lines; the rest
    is in docs/, linked from the contents (issue 25), and every link there leads to a file."""
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 450
    for target in re.findall(r"\]\((docs/[^)#]+)", readme):
        assert (ROOT / target).exists(), target
