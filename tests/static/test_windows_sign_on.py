"""Windows sign-on on the Windows image (docs/windows.md W30-W32): the module compiles as the .NET
Framework's C# 5 compiler reads it, the image installs and compiles what it needs before IIS is
configured, and web.config registers the module so that it runs for ARR. Each rule is shown
failing on a known-bad input."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from lxml import etree

from tests.paths import ROOT, WEB_CONFIG
from tests.static.dockerfile import instructions

MODULE = ROOT / "iis" / "RemoteUserHeaderModule.cs"
IIS = ROOT / "Dockerfile.iis"


def compile_module(source: str, tmp_path) -> subprocess.CompletedProcess:
    """mono's mcs at C# 5, against System.Web: what csc v4.0.30319 (C# 5) accepts, it accepts."""
    mcs = shutil.which("mcs")
    assert mcs, "mcs is needed to compile the sign-on module (apt-get install mono-mcs libmono-system-web4.0-cil)"
    path = tmp_path / "RemoteUserHeaderModule.cs"
    path.write_text(source)
    return subprocess.run([mcs, "-langversion:5", "-target:library", "-r:System.Web.dll",
                           f"-out:{tmp_path / 'RemoteUserHeader.dll'}", str(path)], capture_output=True, text=True,
                          timeout=120)


def test_the_module_compiles_as_csharp_5_against_system_web(tmp_path):
    result = compile_module(MODULE.read_text(), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_module_the_framework_compiler_would_refuse_is_caught(tmp_path):
    """Known-bad input: C# 6's ?. operator, which csc v4.0.30319 does not know."""
    source = MODULE.read_text().replace("context.User != null && context.User.Identity != null && "
                                        "context.User.Identity.IsAuthenticated",
                                        "context.User?.Identity?.IsAuthenticated == true")
    assert "?." in source
    assert compile_module(source, tmp_path).returncode != 0


def image_problems(text: str) -> list[str]:
    steps = instructions(text)
    runs = [(i, v) for i, (k, v) in enumerate(steps) if k == "RUN"]
    configure = next(i for i, v in runs if "Configure-Iis.ps1" in v)
    problems = []
    needed = {"Web-Windows-Auth": r"Add-WindowsFeature Web-Windows-Auth\b",
              "ASP.NET 4.8": r"/FeatureName:NetFx4Extended-ASPNET45 /FeatureName:IIS-ASPNET45;\s*"
                             r"if \(\$LASTEXITCODE -ne 0\)"}
    for what, pattern in needed.items():
        if not any(re.search(pattern, v) and i < configure for i, v in runs):
            problems.append(f"{what} is not installed (with its exit code checked) before IIS is configured")
    compiles = [(i, v) for i, v in runs if "csc.exe" in v]
    if not compiles or compiles[0][0] > configure:
        problems.append("the module is not compiled before IIS is configured")
    elif not all(part in compiles[0][1] for part in (r"Framework64\v4.0.30319\csc.exe", "/reference:System.Web.dll",
                                                        r"C:\inetpub\wwwroot\bin\RemoteUserHeader.dll",
                                                        "$LASTEXITCODE -ne 0")):
        problems.append("the module is not compiled by the Framework's csc into the site's bin folder")
    return problems


def test_the_windows_image_installs_and_compiles_what_sign_on_needs():
    assert image_problems(IIS.read_text()) == []


@pytest.mark.parametrize("old,new,problem", [
    ("RUN Add-WindowsFeature Web-Windows-Auth\n", "", "Web-Windows-Auth"),
    ("    if ($LASTEXITCODE -ne 0) { throw ('dism exited with ' + $LASTEXITCODE) }\n", "    Write-Host done\n",
     "ASP.NET 4.8"),
    (r"/out:C:\inetpub\wwwroot\bin\RemoteUserHeader.dll", r"/out:C:\setup\RemoteUserHeader.dll", "bin folder"),
], ids=["no-windows-auth", "dism-unchecked", "dll-outside-bin"])
def test_a_broken_sign_on_image_is_caught(old, new, problem):
    text = IIS.read_text()
    assert old in text
    assert any(problem in p for p in image_problems(text.replace(old, new)))


def registration_problems(web_config: str, module_source: str) -> list[str]:
    adds = etree.fromstring(web_config.encode()).findall("system.webServer/modules/add")
    class_name = re.search(r"public sealed class (\w+)\s*:\s*IHttpModule", module_source)[1]
    problems = []
    if [a.get("type") for a in adds] != [class_name]:
        problems.append(f"web.config does not register {class_name} (and nothing else)")
    if any(a.get("preCondition") for a in adds):
        problems.append("the module has a preCondition: it would not run for ARR's native handler")
    return problems


def test_web_config_registers_the_module_so_that_it_runs_for_arr():
    assert registration_problems(WEB_CONFIG.read_text(), MODULE.read_text()) == []


def test_a_module_registered_for_managed_handlers_only_is_caught():
    text = WEB_CONFIG.read_text().replace('type="RemoteUserHeaderModule" />',
                                          'type="RemoteUserHeaderModule" preCondition="managedHandler" />')
    assert registration_problems(text, MODULE.read_text()) == [
        "the module has a preCondition: it would not run for ARR's native handler"]


def account_problems(command: list[str]) -> list[str]:
    """The Windows sign-on run's `net user <name> <password> /add`: a password over 14 characters
    makes net.exe ask "(Y/N)", which nobody answers in `docker exec` (docs/windows.md W35)."""
    from tests.smoke import sign_on

    problems = []
    if len(command[3]) > 14:
        problems.append(f"the password has {len(command[3])} characters: net user asks (Y/N) above 14")
    if "/y" not in (arg.lower() for arg in command):
        problems.append("no /y: a prompt would go unanswered")
    if command[3] != sign_on.PASSWORD:
        problems.append("the account is created with another password than the one requests sign in with")
    return problems


def test_the_sign_on_account_is_created_without_a_prompt():
    from tests.smoke import sign_on

    assert account_problems(sign_on.ACCOUNT_COMMAND) == []


def test_the_account_command_before_the_third_reading_is_caught():
    """Known-bad input: tests/smoke/sign_on.py's command as it stood before (16 characters, no /y)."""
    problems = account_problems(["net", "user", "smoke-user", "Sm0ke-Test-0nly!", "/add"])
    assert any("16 characters" in p for p in problems) and any("/y" in p for p in problems)


def test_the_signed_in_answers_headers_are_the_last_of_curls_dump():
    """curl.exe -D on Windows: NTLM's two 401s, then the answer (what the ASP.NET paths check reads)."""
    from tests.smoke.sign_on import last_response_headers

    dump = ("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: NTLM\r\nContent-Length: 0\r\n\r\n"
            "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: NTLM TlRMTVNTUAACAAAA\r\n\r\n"
            "HTTP/1.1 200 OK\r\nX-Request-ID: 0f1e\r\nContent-Type: text/html\r\n\r\n")
    assert last_response_headers(dump) == {"x-request-id": "0f1e", "content-type": "text/html"}
    assert last_response_headers("") == {}


HARNESS = """
public static class Harness
{
    public static void Main(string[] names)
    {
        foreach (string name in names)
        {
            System.Console.WriteLine(RemoteUserHeaderModule.NamesRemoteUser(name) ? "yes" : "no");
        }
    }
}
"""
# Spellings a client could send, and near misses: what the module removes must be exactly what the
# stand-in's model removes (standin/authentication.py), one rule tested once on both.
SPELLINGS = ["X-Remote-User", "x-remote-user", "X_Remote_User", "X_REMOTE-USER", "x-remote_user",
             "X-Remote-Users", "X-Remote", "Remote-User", "X-Remote-User-Name", "XRemoteUser"]


def module_decisions(source: str, tmp_path) -> list[bool]:
    """The module's own header-name decision, compiled with mcs (C# 5) and run under mono."""
    import subprocess

    (tmp_path / "Harness.cs").write_text(HARNESS)
    (tmp_path / "Module.cs").write_text(source)
    exe = tmp_path / "harness.exe"
    built = subprocess.run(["mcs", "-langversion:5", "-r:System.Web.dll", f"-out:{exe}", str(tmp_path / "Module.cs"),
                            str(tmp_path / "Harness.cs")], capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stdout + built.stderr
    ran = subprocess.run(["mono", str(exe), *SPELLINGS], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    return [line == "yes" for line in ran.stdout.split()]


def removal_problems(source: str) -> list[str]:
    """At PostAuthenticateRequest every header the decision names is removed before the user is set."""
    if not re.search(r"if \(NamesRemoteUser\(name\)\)\s*\{\s*request\.Headers\.Remove\(name\);", source):
        return ["a header NamesRemoteUser names is not removed"]
    return []


def test_the_module_removes_every_spelling_the_stand_in_removes(tmp_path):
    from standin.authentication import folds_into_remote_user

    source = MODULE.read_text()
    assert module_decisions(source, tmp_path) == [folds_into_remote_user(name) for name in SPELLINGS]
    assert removal_problems(source) == []


def test_a_module_that_keeps_a_clients_x_remote_user_is_caught(tmp_path):
    """Known-bad inputs: the decision without "_" read as "-", and a loop that removes nothing."""
    from standin.authentication import folds_into_remote_user

    source = MODULE.read_text()
    no_underscore = source.replace("name.Replace('_', '-')", "name")
    assert module_decisions(no_underscore, tmp_path) != [folds_into_remote_user(name) for name in SPELLINGS]
    assert removal_problems(source.replace("request.Headers.Remove(name);", "// kept"))
