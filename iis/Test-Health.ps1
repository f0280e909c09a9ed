<#
.SYNOPSIS
  The IIS image's healthcheck: the app's health path through the rewrite rule and ARR, so that
  healthy means the whole chain works.
.DESCRIPTION
  Anonymous first. With Windows sign-on required (IIS_ALLOW_ANONYMOUS=false) the health path stays
  anonymous through its <location> in server.config, if IIS applies that location to a request the
  rule has rewritten to ARR's absolute URL; no source says it does (docs/windows.md W39). So a 401
  is asked again signed in as the container's own account, and the output, which Docker keeps with
  each probe (docker inspect), says which it was. Only the exit code reaches Docker: exit, never return.
#>
# Progress records would clutter the output Docker keeps.
$ProgressPreference = 'SilentlyContinue'
$url = 'http://127.0.0.1/' + $env:APP_PREFIX + '/health'
$status = 0
$message = ''
try {
    $response = Invoke-WebRequest -UseBasicParsing -TimeoutSec 4 -Uri $url -ErrorAction Stop
    Write-Output "anonymous: $($response.StatusCode)"
    if ($response.StatusCode -eq 200) { exit 0 }
    exit 1
} catch {
    if ($_.Exception.Response) { $status = [int] $_.Exception.Response.StatusCode }
    $message = $_.Exception.Message
}
if ($status -ne 401) {
    Write-Output "anonymous: $status $message"
    exit 1
}
try {
    $response = Invoke-WebRequest -UseBasicParsing -UseDefaultCredentials -TimeoutSec 4 -Uri $url -ErrorAction Stop
    Write-Output "anonymous: 401; signed in as the container's account: $($response.StatusCode)"
    if ($response.StatusCode -eq 200) { exit 0 }
    exit 1
} catch {
    Write-Output "anonymous: 401; signed in as the container's account: $($_.Exception.Message)"
    exit 1
}
