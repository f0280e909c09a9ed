"""The app's static folder reaches the site where web.config's rule points, on both stacks
(docs/windows.md W20): Dockerfile.iis and Dockerfile.iis-standin copy APP_STATIC_DIR into
<site root>/<the rule's rewrite folder>, the ARG is in scope where it is used, and both compose
files pass it. Each rule is shown failing on a known-bad input."""
from __future__ import annotations

import json
import re

import pytest

from tests.paths import ENV_EXAMPLE, ROOT, WEB_CONFIG
from tests.static.compose import STACKS, compose_config
from tests.static.dockerfile import instructions

IIS = ROOT / "Dockerfile.iis"
STANDIN = ROOT / "Dockerfile.iis-standin"
CONFIGURE = ROOT / "iis" / "Configure-Iis.ps1"


def site_root(dockerfile: str) -> str:
    """Where each image's site is: Configure-Iis.ps1's -SitePath default (Windows), and the folder
    of the stand-in's --web-config (Linux)."""
    if dockerfile == "Dockerfile.iis":
        path = re.search(r"\[string\] \$SitePath = '([^']+)'", CONFIGURE.read_text())[1]
        return path.replace("\\", "/").rstrip("/")
    entry = re.search(r'"--web-config", "([^"]+)/web.config"', STANDIN.read_text())[1]
    return entry.rstrip("/")


def rule_folder() -> str:
    """The site folder "Static files from IIS" rewrites to."""
    text = WEB_CONFIG.read_text()
    rule = text[text.index('<rule name="Static files from IIS"'):]
    rule = rule[:rule.index("</rule>")]
    return re.search(r'<action type="Rewrite" url="([^"/{]+)/\{R:1\}"', rule)[1]


def copy_problems(text: str, root: str) -> list[str]:
    steps = instructions(text)
    first_from = next(n for n, (k, _) in enumerate(steps) if k == "FROM")
    # An ARG before FROM is out of scope in the stage: ${APP_STATIC_DIR} would be empty there.
    declared = [n for n, (k, v) in enumerate(steps) if k == "ARG" and v.split("=")[0] == "APP_STATIC_DIR"]
    copies = [(n, v.split()) for n, (k, v) in enumerate(steps) if k == "COPY" and "${APP_STATIC_DIR}" in v]
    problems = []
    if len(copies) != 1:
        return [f"{len(copies)} COPY lines of ${{APP_STATIC_DIR}}, expected 1"]
    n, (source, dest) = copies[0]
    if not any(first_from < d < n for d in declared):
        problems.append("ARG APP_STATIC_DIR is not declared inside the stage before its COPY")
    if source != "${APP_STATIC_DIR}":
        problems.append(f"COPY source {source}: the folder itself, so its contents land in the destination")
    want = f"{root}/{rule_folder()}"
    if dest.rstrip("/").lower() != want.lower():
        problems.append(f"COPY destination {dest}, but the rule serves {want}")
    return problems


@pytest.mark.parametrize("dockerfile", ["Dockerfile.iis", "Dockerfile.iis-standin"])
def test_the_static_folder_lands_where_the_rule_points(dockerfile):
    assert copy_problems((ROOT / dockerfile).read_text(), site_root(dockerfile)) == []


@pytest.mark.parametrize("dockerfile,change,problem", [
    ("Dockerfile.iis", lambda t: t.replace("C:/inetpub/wwwroot/static/", "C:/inetpub/static/"), "destination"),
    ("Dockerfile.iis", lambda t: "# escape=`\nARG APP_STATIC_DIR=app/static\n" + re.sub(
        r"^ARG APP_STATIC_DIR=.*\n", "", t.split("\n", 1)[1], flags=re.MULTILINE), "not declared inside the stage"),
    ("Dockerfile.iis-standin", lambda t: t.replace("COPY ${APP_STATIC_DIR} /site/static",
                                                   "COPY ${APP_STATIC_DIR}/* /site/static"), "COPY source"),
    ("Dockerfile.iis-standin", lambda t: t.replace("COPY ${APP_STATIC_DIR} /site/static", ""), "0 COPY lines"),
])
def test_a_misplaced_static_copy_is_caught(dockerfile, change, problem):
    original = (ROOT / dockerfile).read_text()
    changed = change(original)
    assert changed != original
    assert any(problem in p for p in copy_problems(changed, site_root(dockerfile)))


def compose_problems(config: dict, folder: str) -> list[str]:
    args = config["services"]["iis"]["build"].get("args") or {}
    if args.get("APP_STATIC_DIR") != folder:
        return [f"the iis build gets APP_STATIC_DIR={args.get('APP_STATIC_DIR')}, not {folder} from the env file:"
                " it would copy another folder than the app checks"]
    return []


@pytest.mark.parametrize("stack", sorted(STACKS))
def test_both_stacks_build_iis_with_the_apps_static_folder(stack, tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(ENV_EXAMPLE.read_text().replace("APP_STATIC_DIR=app/static", "APP_STATIC_DIR=examples/notes/static"))
    result = compose_config(STACKS[stack], "--format", "json", env_file=env_file)
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    assert compose_problems(config, "examples/notes/static") == []
    del config["services"]["iis"]["build"]["args"]["APP_STATIC_DIR"]
    assert compose_problems(config, "examples/notes/static")
