<#
.SYNOPSIS
  Applies this project's IIS configuration: server.config at server level (applicationHost.config),
  web.config to the site, and an HTTPS binding when a PFX certificate is given.
.DESCRIPTION
  %NAME% references in both files are replaced from the environment, falling back to a defaults
  file in .env syntax; a reference to an unset name stops the script. This is the same rule the
  Linux stand-in applies, so both stacks run the same text.
  The Windows image runs this at build time (with .env.example's values) and at every start (with
  the container's environment). On a plain Windows Server with IIS, URL Rewrite 2.1 and ARR 3.0
  installed, run it as an administrator:
    .\Configure-Iis.ps1 -DefaultsFile ..\.env
#>
[CmdletBinding()]
param(
    [string] $ServerSettings = (Join-Path $PSScriptRoot 'server.config'),
    [string] $WebConfig = (Join-Path $PSScriptRoot 'web.config'),
    [string] $SiteName = 'Default Web Site',
    [string] $SitePath = 'C:\inetpub\wwwroot',
    [string] $DefaultsFile,
    [string] $PfxFile,
    [string] $PfxPasswordFile
)
$ErrorActionPreference = 'Stop'
Import-Module WebAdministration
$apphost = 'MACHINE/WEBROOT/APPHOST'

function Read-Defaults([string] $Path) {
    $values = @{}
    if (-not $Path) { return $values }
    foreach ($line in Get-Content -Path $Path) {
        $line = $line.Trim()
        if ($line -and -not $line.StartsWith('#') -and $line.Contains('=')) {
            $key, $value = $line.Split('=', 2)
            $values[$key.Trim()] = $value.Trim()
        }
    }
    return $values
}

function Expand-Settings([string] $Path, [hashtable] $Defaults) {
    $text = Get-Content -Raw -Path $Path
    $evaluator = {
        param($match)
        $name = $match.Groups[1].Value
        $value = [Environment]::GetEnvironmentVariable($name)
        if ($null -eq $value) { $value = $Defaults[$name] }
        if ($null -eq $value) { throw "$Path references %$name%, which is not set" }
        return $value
    }.GetNewClosure()
    return [regex]::Replace($text, '%([A-Za-z_][A-Za-z0-9_]*)%', [System.Text.RegularExpressions.MatchEvaluator] $evaluator)
}

function Set-ServerElement([System.Xml.XmlElement] $Element, [string] $Filter) {
    foreach ($attribute in $Element.Attributes) {
        Set-WebConfigurationProperty -PSPath $apphost -Filter $Filter -Name $attribute.Name -Value $attribute.Value
        Write-Host "$Filter @$($attribute.Name) = $($attribute.Value)"
    }
    foreach ($child in $Element.ChildNodes) {
        if ($child -isnot [System.Xml.XmlElement]) { continue }
        if ($child.LocalName -eq 'add') {
            $entry = @{}
            foreach ($attribute in $child.Attributes) { $entry[$attribute.Name] = $attribute.Value }
            $existing = Get-WebConfiguration -PSPath $apphost -Filter "$Filter/add[@name='$($entry.name)']"
            if (-not $existing) {
                Add-WebConfigurationProperty -PSPath $apphost -Filter $Filter -Name '.' -Value $entry
            }
            Write-Host "$Filter + $($entry.name)"
        } else {
            Set-ServerElement $child "$Filter/$($child.LocalName)"
        }
    }
}

$defaults = Read-Defaults $DefaultsFile

$server = [xml] (Expand-Settings $ServerSettings $defaults)
foreach ($section in $server.configuration.'system.webServer'.ChildNodes) {
    if ($section -is [System.Xml.XmlElement]) {
        Set-ServerElement $section "system.webServer/$($section.LocalName)"
    }
}

$site = Expand-Settings $WebConfig $defaults
[xml] $site | Out-Null  # refuses malformed XML before IIS sees it
Set-Content -Path (Join-Path $SitePath 'web.config') -Value $site -Encoding UTF8
Write-Host "wrote $(Join-Path $SitePath 'web.config')"

if ($PfxFile -and (Test-Path $PfxFile)) {
    $password = New-Object System.Security.SecureString
    if ($PfxPasswordFile -and (Test-Path $PfxPasswordFile)) {
        $password = ConvertTo-SecureString -String (Get-Content -Raw -Path $PfxPasswordFile).Trim() -AsPlainText -Force
    }
    $certificate = Import-PfxCertificate -FilePath $PfxFile -CertStoreLocation Cert:\LocalMachine\My -Password $password
    if (-not (Get-WebBinding -Name $SiteName -Protocol https -Port 443)) {
        New-WebBinding -Name $SiteName -Protocol https -Port 443 -IPAddress '*'
    }
    # A restarted container keeps HTTP.sys's old binding; replace it.
    Remove-Item -Path 'IIS:\SslBindings\0.0.0.0!443' -ErrorAction SilentlyContinue
    (Get-WebBinding -Name $SiteName -Protocol https -Port 443).AddSslCertificate($certificate.Thumbprint, 'My')
    Write-Host "HTTPS on 443 with $($certificate.Subject) ($($certificate.Thumbprint))"
}
