<#
.SYNOPSIS
  The Windows image's start: configure IIS from the container's environment and secrets, then
  hand over to ServiceMonitor, which runs W3SVC and exits with it.
#>
$ErrorActionPreference = 'Stop'
$secrets = 'C:\ProgramData\Docker\secrets'
& (Join-Path $PSScriptRoot 'Configure-Iis.ps1') `
    -DefaultsFile (Join-Path $PSScriptRoot 'defaults.env') `
    -PfxFile (Join-Path $secrets 'tls_pfx') `
    -PfxPasswordFile (Join-Path $secrets 'tls_password')
& C:\ServiceMonitor.exe w3svc
exit $LASTEXITCODE
