"""Where the swarm suite's requests come from. From the host, to the published port, on Linux. On
one Windows host that port cannot be reached from the host itself: Windows publishes a host-mode
port of an overlay task on the overlay endpoint, and by design the host does not reach the overlay
(docs/windows.md W22). There the requests run inside the iis task (docker exec), against IIS's own
port 80 or 443, with the same PowerShell call as the image's healthcheck."""
from __future__ import annotations

import json

import docker
import requests

# Prints "<status>" then the body; 0 and the error when no answer came. Windows PowerShell 5.1 has no
# -SkipCertificateCheck: the certificate is the test CA's, which the task does not trust, so the
# callback accepts it (HTTPS is what is checked here, not the trust store of the container).
POWERSHELL = """[System.Net.ServicePointManager]::ServerCertificateValidationCallback = {{ $true }}
$headers = ConvertFrom-Json '{headers}'
$table = @{{}}
foreach ($p in $headers.PSObject.Properties) {{ $table[$p.Name] = $p.Value }}
try {{
    $r = Invoke-WebRequest -UseBasicParsing -TimeoutSec 30 -Uri '{url}' -Headers $table
    Write-Output ([int]$r.StatusCode)
    Write-Output $r.Content
}} catch [System.Net.WebException] {{
    if ($_.Exception.Response) {{ Write-Output ([int]$_.Exception.Response.StatusCode) }}
    else {{ Write-Output 0; Write-Output $_.Exception.Message }}
}}
exit 0"""

# The same contract for the stand-in's image, which has Python, so Linux runs this path too.
PYTHON = """import json, ssl, sys, urllib.error, urllib.request
request = urllib.request.Request({url!r}, headers=json.loads({headers!r}))
try:
    with urllib.request.urlopen(request, timeout=30, context=ssl._create_unverified_context()) as r:
        print(r.status); print(r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code)
except OSError as e:
    print(0); print(e)"""


class HostProbe:
    """GET through the published ports, from the host."""

    def __init__(self, http_port: str, https_port: str, ca: str):
        self.http_port, self.https_port, self.ca = http_port, https_port, ca
        self.host = f"localhost:{http_port}"

    def get(self, path: str, headers: dict | None = None, https: bool = False) -> tuple[int, str]:
        url = f"https://localhost:{self.https_port}{path}" if https else f"http://localhost:{self.http_port}{path}"
        try:
            r = requests.get(url, headers=headers or {}, verify=self.ca, timeout=30)
        except requests.RequestException as exc:
            return 0, repr(exc)[:200]
        return r.status_code, r.text


class TaskProbe:
    """GET from inside the running iis task, to IIS's own ports."""

    host = "127.0.0.1"

    def __init__(self, swarm):
        self.swarm = swarm

    def command(self, url: str, headers: dict) -> list[str]:
        payload = json.dumps(headers)
        if self.swarm.os_type == "windows":
            script = POWERSHELL.format(url=url.replace("'", "''"), headers=payload.replace("'", "''"))
            return ["powershell", "-NoLogo", "-NoProfile", "-Command", script]
        return ["python", "-c", PYTHON.format(url=url, headers=payload)]

    def get(self, path: str, headers: dict | None = None, https: bool = False) -> tuple[int, str]:
        url = f"{'https' if https else 'http'}://127.0.0.1{path}"
        tasks = self.swarm.healthy_tasks("iis")
        if not tasks:  # between an old iis task and its replacement (stop-first updates)
            return 0, "no healthy iis task"
        try:
            result = self.swarm.client.containers.get(tasks[0]).exec_run(self.command(url, headers or {}))
        except docker.errors.APIError as exc:  # the task stopped meanwhile
            return 0, repr(exc)[:200]
        status, _, body = result.output.decode(errors="replace").replace("\r\n", "\n").partition("\n")
        return int(status.strip() or 0), body.rstrip("\n")
