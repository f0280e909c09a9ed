"""HTTPS on Windows: what Configure-Iis.ps1 binds, read from the script (docs/windows.md W16), and
the same rule through the stand-in, which runs here: the certificate with the private key out of a
PFX that carries its chain, and an empty password file meaning no password."""
from __future__ import annotations

import re
import ssl

import pytest
import trustme
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import load_pem_x509_certificate

from standin import tls
from tests.paths import ROOT

SCRIPT = ROOT / "iis" / "Configure-Iis.ps1"

# Configure-Iis.ps1 at 3aa580b: Import-PfxCertificate's output (the whole chain) taken as one
# certificate, and Trim() called on Get-Content's $null for an empty file.
IMPORT_AT_3AA580B = r"""
        $password = ConvertTo-SecureString -String (Get-Content -Raw -Path $PfxPasswordFile).Trim() -AsPlainText -Force
    $certificate = Import-PfxCertificate -FilePath $PfxFile -CertStoreLocation Cert:\LocalMachine\My -Password $password
    (Get-WebBinding -Name $SiteName -Protocol https -Port 443).AddSslCertificate($certificate.Thumbprint, 'My')
"""


def certificate_problems(script: str) -> list[str]:
    problems = []
    bound = re.findall(r"AddSslCertificate\(\$(\w+)\.Thumbprint", script)
    for name in bound:
        assigned = re.search(rf"^\s*\${name}\s*=\s*(.+)$", script, re.MULTILINE)
        if not assigned or "HasPrivateKey" not in assigned.group(1):
            problems.append(f"${name} is not the certificate with the private key (Import-PfxCertificate returns the chain)")
    if not bound:
        problems.append("no certificate is bound")
    if re.search(r"\(Get-Content\b[^()]*\)\.Trim\(\)", script):
        problems.append("Trim() on Get-Content's result, which is $null for an empty file")
    return problems


def test_configure_iis_binds_the_certificate_with_the_key_and_tolerates_an_empty_password_file():
    assert certificate_problems(SCRIPT.read_text()) == []


def test_the_3aa580b_certificate_code_is_caught():
    assert len(certificate_problems(IMPORT_AT_3AA580B)) == 2


@pytest.mark.parametrize("password", ["", "\n", "secret"], ids=["empty", "newline", "password"])
def test_the_stand_in_binds_the_leaf_of_a_pfx_with_its_chain(tmp_path, password):
    ca = trustme.CA()
    issued = ca.create_child_ca().issue_cert("localhost")
    leaf, *chain = [load_pem_x509_certificate(p.bytes()) for p in issued.cert_chain_pems]
    key = serialization.load_pem_private_key(issued.private_key_pem.bytes(), None)
    secret = password.strip().encode()
    encryption = serialization.BestAvailableEncryption(secret) if secret else serialization.NoEncryption()
    (tmp_path / "tls.pfx").write_bytes(pkcs12.serialize_key_and_certificates(b"tls", key, leaf, chain, encryption))
    (tmp_path / "tls-password.txt").write_text(password)

    context, arr_ssl = tls.from_pfx(tmp_path / "tls.pfx", tmp_path / "tls-password.txt")
    assert isinstance(context, ssl.SSLContext)
    assert arr_ssl.endswith(leaf.subject.rfc4514_string())
