<#
.SYNOPSIS
  Installs one entry of installers.json: from iis/installers/ when present, else downloaded;
  verified against the pinned hash; MSIs installed with msiexec waited for and its exit code checked.
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
$pins = @{ SHA256 = $entry.sha256; SHA1 = $entry.sha1 }
$checked = $false
foreach ($algorithm in $pins.Keys) {
    $expected = $pins[$algorithm]
    if (-not $expected) { continue }
    $actual = (Get-FileHash -Path $file -Algorithm $algorithm).Hash
    if ($actual -ne $expected) {
        throw "$($entry.file): $algorithm is $actual, installers.json pins $expected"
    }
    Write-Host "$($entry.file): $algorithm verified"
    $checked = $true
}
if (-not $checked) {
    Write-Warning "$($entry.file) has no pinned hash in installers.json; pin the SHA256 printed above"
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
