<#
.SYNOPSIS
  The Windows image's start: configure IIS from the container's environment and the certificate
  folder, then hand over to ServiceMonitor, which runs W3SVC and exits with it.
#>
$ErrorActionPreference = 'Stop'
# docker-compose.https.yml mounts TLS_CERT_DIR here, read-only; without it IIS serves HTTP only.
$certs = 'C:\certs'
& (Join-Path $PSScriptRoot 'Configure-Iis.ps1') `
    -DefaultsFile (Join-Path $PSScriptRoot 'defaults.env') `
    -PfxFile (Join-Path $certs 'tls.pfx') `
    -PfxPasswordFile (Join-Path $certs 'tls-password.txt')
& C:\ServiceMonitor.exe w3svc
exit $LASTEXITCODE
