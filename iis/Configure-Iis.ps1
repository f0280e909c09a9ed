<#
.SYNOPSIS
  Applies this project's IIS configuration: server.config at server level (applicationHost.config:
  its system.webServer and system.applicationHost sections),
  web.config to the site, and an HTTPS binding when a PFX certificate is given.
.DESCRIPTION
  Settings are referenced as %NAME% inside attribute values. Each file is parsed first, then every
  attribute value is expanded from the environment, falling back to a defaults file in .env syntax;
  comments and text are never touched. A reference to an unset name stops the script. The Linux
  stand-in applies the same rule (standin/xml_reader.py), and tests/static/test_iis_expansion.py
  reads the rule from this script and checks both.
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
# The one expansion rule, shared with the stand-in: which nodes, and what a reference looks like.
$ExpandedNodes = '//@*'
$SettingReference = '%([A-Za-z_][A-Za-z0-9_]*)%'

# One line of the defaults file, read as compose reads .env: NAME=value, a value in double quotes
# losing them; comments and other lines match nothing. tests/static/test_iis_expansion.py applies
# this very pattern to .env.example and compares it with the Python reader.
$DefaultLine = '^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?:"(.*)"|(.*?))\s*$'

function Read-Defaults([string] $Path) {
    $values = @{}
    if (-not $Path) { return $values }
    foreach ($line in Get-Content -Path $Path) {
        $m = [regex]::Match($line, $DefaultLine)
        if (-not $m.Success) { continue }
        if ($m.Groups[2].Success) { $value = $m.Groups[2].Value } else { $value = $m.Groups[3].Value }
        $values[$m.Groups[1].Value] = $value
    }
    return $values
}

# Changes the parsed document in place (a function's output would be enumerated by PowerShell).
function Expand-Settings([System.Xml.XmlDocument] $Document, [string] $Path, [hashtable] $Defaults) {
    $evaluator = {
        param($match)
        $name = $match.Groups[1].Value
        $value = [Environment]::GetEnvironmentVariable($name)
        if ($null -eq $value) { $value = $Defaults[$name] }
        if ($null -eq $value) { throw "$Path references %$name%, which is not set" }
        return $value
    }.GetNewClosure()
    foreach ($attribute in $Document.SelectNodes($ExpandedNodes)) {
        $attribute.Value = [regex]::Replace($attribute.Value, $SettingReference, [System.Text.RegularExpressions.MatchEvaluator] $evaluator)
    }
}

function Read-Settings([string] $Path, [hashtable] $Defaults) {
    $document = New-Object System.Xml.XmlDocument
    # .NET resolves relative paths against the process's directory, not PowerShell's location.
    $document.Load((Resolve-Path -Path $Path).ProviderPath)  # refuses malformed XML before IIS sees it
    Expand-Settings $document $Path $Defaults
    Write-Output -NoEnumerate $document
}

# $Location: empty for the whole server, else the site path a <location> in server.config names.
function Set-ServerElement([System.Xml.XmlElement] $Element, [string] $Filter, [string] $Location) {
    $at = @{}
    if ($Location) { $at.Location = $Location }
    foreach ($attribute in $Element.Attributes) {
        Set-WebConfigurationProperty -PSPath $apphost @at -Filter $Filter -Name $attribute.Name -Value $attribute.Value
        Write-Host "$Location $Filter @$($attribute.Name) = $($attribute.Value)"
    }
    foreach ($child in $Element.ChildNodes) {
        if ($child -isnot [System.Xml.XmlElement]) { continue }
        if ($child.LocalName -eq 'add') {
            $entry = @{}
            foreach ($attribute in $child.Attributes) { $entry[$attribute.Name] = $attribute.Value }
            # An entry is found again by its collection's key, written first in server.config
            # (name, logFieldName): a restarted container must not add it twice.
            $key = $child.Attributes[0]
            $existing = Get-WebConfiguration -PSPath $apphost @at -Filter "$Filter/add[@$($key.Name)='$($key.Value)']"
            if (-not $existing) {
                Add-WebConfigurationProperty -PSPath $apphost @at -Filter $Filter -Name '.' -Value $entry
            }
            Write-Host "$Filter + $($key.Value)"
        } else {
            Set-ServerElement $child "$Filter/$($child.LocalName)" $Location
        }
    }
}

function Read-PfxPassword([string] $Path) {
    # A missing or empty password file means a PFX without a password. Get-Content -Raw gives
    # $null for an empty file, so the [string] cast comes before Trim().
    $text = ''
    if ($Path -and (Test-Path $Path)) { $text = ([string] (Get-Content -Raw -Path $Path)).Trim() }
    if (-not $text) { return New-Object System.Security.SecureString }
    return ConvertTo-SecureString -String $text -AsPlainText -Force
}

$defaults = Read-Defaults $DefaultsFile

function Set-ServerGroups([System.Xml.XmlElement] $Parent, [string] $Location) {
    foreach ($group in $Parent.ChildNodes) {
        if ($group -isnot [System.Xml.XmlElement] -or $group.LocalName -eq 'location') { continue }
        foreach ($section in $group.ChildNodes) {
            if ($section -is [System.Xml.XmlElement]) {
                Set-ServerElement $section "$($group.LocalName)/$($section.LocalName)" $Location
            }
        }
    }
}

$server = Read-Settings $ServerSettings $defaults
# Every section group server.config has (system.webServer, system.applicationHost) for the whole
# server; then each <location>, whose path is relative to the site: sections locked at server level
# (authentication) are set for a path this way.
Set-ServerGroups $server.configuration ''
foreach ($location in $server.configuration.SelectNodes('location')) {
    Set-ServerGroups $location ("$SiteName/" + $location.GetAttribute('path')).TrimEnd('/')
}

$site = Read-Settings $WebConfig $defaults
$target = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath((Join-Path $SitePath 'web.config'))
$site.Save($target)
Write-Host "wrote $target"

if ($PfxFile -and (Test-Path $PfxFile)) {
    $imported = Import-PfxCertificate -FilePath $PfxFile -CertStoreLocation Cert:\LocalMachine\My -Password (Read-PfxPassword $PfxPasswordFile)
    # A PFX with its chain imports several certificates; the one to bind is the one with the key.
    $certificate = @($imported | Where-Object { $_.HasPrivateKey }) | Select-Object -First 1
    if (-not $certificate) { throw "$PfxFile holds no certificate with a private key" }
    if (-not (Get-WebBinding -Name $SiteName -Protocol https -Port 443)) {
        New-WebBinding -Name $SiteName -Protocol https -Port 443 -IPAddress '*'
    }
    # A restarted container keeps HTTP.sys's old binding; replace it.
    Remove-Item -Path 'IIS:\SslBindings\0.0.0.0!443' -ErrorAction SilentlyContinue
    (Get-WebBinding -Name $SiteName -Protocol https -Port 443).AddSslCertificate($certificate.Thumbprint, 'My')
    Write-Host "HTTPS on 443 with $($certificate.Subject) ($($certificate.Thumbprint))"
}
