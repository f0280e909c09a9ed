<#
.SYNOPSIS
  Installs one entry of installers.json: from iis/installers/ when present, else downloaded;
  verified against the pinned SHA-256 (an MSI without one is refused); MSIs installed with msiexec
  waited for and its exit code checked.
.EXAMPLE
  Install-Module.ps1 -Name UrlRewrite
  Install-Module.ps1 -Verify
#>
[CmdletBinding()]
param(
    [string] $Name,
    # Checks, in a fresh process, that IIS has registered the rewrite and ARR modules.
    [switch] $Verify,
    [string] $Manifest = (Join-Path $PSScriptRoot 'installers.json'),
    [string] $LocalDir = (Join-Path $PSScriptRoot 'installers')
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

if ($Verify) {
    $appcmd = Join-Path $env:windir 'System32\inetsrv\appcmd.exe'
    $modules = & $appcmd list config -section:system.webServer/globalModules
    foreach ($module in 'RewriteModule', 'ApplicationRequestRouting') {
        if (-not ($modules -match "name=`"$module`"")) {
            throw "IIS global module $module is not registered: the install did not complete"
        }
        Write-Host "IIS global module $module is registered"
    }
    foreach ($section in 'system.webServer/rewrite/rules', 'system.webServer/proxy') {
        & $appcmd list config -section:$section | Out-Null
        if ($LASTEXITCODE -ne 0) { throw "IIS does not know the configuration section $section" }
    }
    exit 0
}

$entry = (Get-Content -Raw -Path $Manifest | ConvertFrom-Json).$Name
if (-not $entry) { throw "installers.json has no entry '$Name'" }

$file = Join-Path $LocalDir $entry.file
if (Test-Path $file) {
    Write-Host "using the local $file"
} else {
    $file = Join-Path $env:TEMP $entry.file
    Write-Host "downloading $($entry.url)"
    [Net.ServicePointManager]::SecurityProtocol = [Net.SecurityProtocolType]::Tls12
    Invoke-WebRequest -UseBasicParsing -Uri $entry.url -OutFile $file
}

$sha256 = (Get-FileHash -Path $file -Algorithm SHA256).Hash
Write-Host "SHA256 $sha256 $($entry.file)"
if ($entry.sha256) {
    if ($sha256 -ne $entry.sha256) {
        throw "$($entry.file): SHA256 is $sha256, installers.json pins $($entry.sha256) ($($entry.hash_source)). If Microsoft replaced the file, re-pin it as the README says."
    }
    Write-Host "$($entry.file): SHA256 verified"
} elseif ($entry.kind -eq 'msi') {
    throw "$($entry.file) has no pinned SHA256 in installers.json: an installer that runs as SYSTEM is never taken unverified"
} else {
    Write-Warning "$($entry.file) is NOT verified: installers.json has no pinned hash ($($entry.hash_source))"
}

if ($entry.kind -eq 'msi') {
    $log = Join-Path $env:TEMP "$Name-install.log"
    # Plain "msiexec" in a RUN returns before the install finishes; wait for it and check its code.
    $process = Start-Process -FilePath msiexec.exe -Wait -PassThru -ArgumentList @(
        '/i', "`"$file`"", '/qn', '/norestart', '/l*v', "`"$log`"")
    if ($process.ExitCode -notin 0, 3010) {
        Get-Content -Path $log -Tail 40
        throw "msiexec for $($entry.file) exited with $($process.ExitCode)"
    }
    Write-Host "$($entry.description) installed"
} else {
    New-Item -ItemType Directory -Force -Path (Split-Path $entry.destination) | Out-Null
    Copy-Item -Path $file -Destination $entry.destination -Force
    Write-Host "$($entry.description) copied to $($entry.destination)"
}
