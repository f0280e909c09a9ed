"""The GitHub workflows: valid against GitHub's schema, and every action pinned to a commit."""
import re
import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML

from tests.paths import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
CHECK_JSONSCHEMA = str(Path(sys.executable).parent / "check-jsonschema")


def test_workflows_match_githubs_schema():
    result = subprocess.run([CHECK_JSONSCHEMA, "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_action_is_pinned_to_a_commit_with_its_version_noted():
    uses = [line.strip() for w in WORKFLOWS for line in w.read_text().splitlines() if "uses:" in line]
    assert uses
    for line in uses:
        assert re.fullmatch(r"(- )?uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+(\.\d+)*", line), line


def test_windows_workflow_runs_the_smoke_suite_unchanged():
    text = (ROOT / ".github" / "workflows" / "windows.yml").read_text()
    assert "runs-on: windows-2022" in text
    assert "python -m pytest tests/smoke" in text


def test_windows_workflow_runs_it_for_each_hosted_app_that_scripts_test_runs():
    import shlex

    windows = (ROOT / ".github" / "workflows" / "windows.yml").read_text()
    script = (ROOT / "scripts" / "test").read_text()
    apps = {v for w in shlex.split(script, comments=True) if w.startswith("APP_MODULE=") for v in [w.split("=", 1)[1]]}
    assert apps == {"examples.notes:create_app()", "examples.live:app"}
    for app in apps:
        assert f"APP_MODULE: {app}" in windows


def run_steps(text: str) -> list[str]:
    from ruamel.yaml import YAML

    jobs = YAML(typ="safe").load(text)["jobs"].values()
    return [step["run"] for job in jobs for step in job["steps"] if "run" in step]


def log_problems(text: str) -> list[str]:
    """A failed Windows run must leave the containers' logs in the artifact."""
    from tests.smoke.stack import LOG_DIR

    problems = []
    for line in (l for run in run_steps(text) for l in run.splitlines()):
        # No .env on the runner: compose aborts on the first ${VAR:?}, and the stack is down anyway.
        if re.search(r"docker compose (?!version)(?!.*--env-file)", line):
            problems.append(f"runs docker compose without --env-file: {line.strip()}")
    uploaded = re.findall(r"^\s+path: (\S+)$", text, re.MULTILINE)
    if LOG_DIR.relative_to(ROOT).parts[0] + "/" not in uploaded:
        problems.append(f"the artifact does not include {LOG_DIR.relative_to(ROOT)}, where the smoke suite saves logs")
    return problems


def test_windows_workflow_uploads_the_logs_the_smoke_suite_saves():
    assert log_problems((ROOT / ".github" / "workflows" / "windows.yml").read_text()) == []


def test_a_logs_step_that_needs_an_env_file_is_caught():
    """Known-bad input: the log step of windows.yml at 3aa580b."""
    text = (ROOT / ".github" / "workflows" / "windows.yml").read_text().replace(
        "docker network ls > logs/networks.txt",
        "docker compose -p flask-iis-smoke -f docker-compose.yml logs --no-color > logs/compose.txt")
    assert any("without --env-file" in p for p in log_problems(text))


def checkout_problems(workflow: dict) -> list[str]:
    """A checkout leaves the job's token in .git/config unless told not to (zizmor's artipacked)."""
    problems = []
    for job_name, job in workflow.get("jobs", {}).items():
        for step in job.get("steps", []):
            if step.get("uses", "").startswith("actions/checkout@") and \
                    step.get("with", {}).get("persist-credentials") is not False:
                problems.append(f"{job_name}: checkout persists the token")
    return problems


def test_no_checkout_leaves_the_token_behind():
    for path in WORKFLOWS:
        assert checkout_problems(YAML(typ="safe").load(path.read_text())) == [], path.name


def test_a_checkout_with_the_default_is_caught():
    workflow = YAML(typ="safe").load(WORKFLOWS[0].read_text())
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                step.pop("with", None)
    assert checkout_problems(workflow)


def test_the_windows_workflow_benchmarks_once_bounded_into_the_summary():
    import shlex

    steps = YAML(typ="safe").load((ROOT / ".github" / "workflows" / "windows.yml").read_text())["jobs"]["smoke"]["steps"]
    [step] = [s for s in steps if s.get("name", "").startswith("Benchmark")]
    command = next(line for line in step["run"].splitlines() if "scripts/benchmark" in line)
    args = shlex.split(command)
    assert args[args.index("--rounds") + 1] == "1" and int(args[args.index("--seconds") + 1]) <= 30
    assert args[args.index("--load") + 1] == "python" and "--summary" in args
    assert "GITHUB_STEP_SUMMARY" in step["run"]


def hidden_steps(workflow: dict) -> list[str]:
    """Steps of the Windows job that a failure before them would skip: after the setup (id: setup),
    every step must run unless the run was cancelled (docs/windows.md W36)."""
    steps = workflow["jobs"]["smoke"]["steps"]
    after = [i for i, step in enumerate(steps) if step.get("id") == "setup"]
    if not after:
        return ["no step has id: setup"]
    hidden = []
    for step in steps[after[0] + 1:]:
        condition = str(step.get("if", ""))
        if not re.search(r"!cancelled\(\)|\bfailure\(\)", condition):
            hidden.append(step.get("name") or step.get("uses"))
    return hidden


def test_every_windows_step_after_the_setup_reports_even_after_a_failure():
    assert hidden_steps(YAML(typ="safe").load((ROOT / ".github" / "workflows" / "windows.yml").read_text())) == []


def test_a_windows_workflow_that_stops_at_the_first_failure_is_caught():
    """Known-bad input: the step conditions of windows.yml before the third Windows reading."""
    workflow = YAML(typ="safe").load((ROOT / ".github" / "workflows" / "windows.yml").read_text())
    for step in workflow["jobs"]["smoke"]["steps"]:
        if "cancelled" in str(step.get("if", "")):
            del step["if"]
    assert len(hidden_steps(workflow)) >= 6


def pwsh_blocks(workflow: dict) -> list[str]:
    return [step["run"] for job in workflow["jobs"].values() for step in job["steps"]
            if step.get("shell") == "pwsh" and "run" in step]


def test_no_pwsh_step_holds_a_variable_reference_powershell_refuses():
    """A step PowerShell cannot parse runs none of its lines (docs/windows.md W36)."""
    from tests.static.powershell import bad_variable_references

    workflow = YAML(typ="safe").load((ROOT / ".github" / "workflows" / "windows.yml").read_text())
    assert [line for block in pwsh_blocks(workflow) for line in bad_variable_references(block)] == []


def test_a_variable_followed_by_a_colon_in_a_string_is_caught():
    """Known-bad input: the benchmark step's message as first written."""
    from tests.static.powershell import bad_variable_references

    assert bad_variable_references('throw "no images $images: no smoke step built them"')
    assert not bad_variable_references('$env:APP_PREFIX; [int]::MaxValue; "${images}: x"; $a::b')
