"""TLS for the stand-in's HTTPS listener, from PEM files or from the PFX that IIS would bind."""
from __future__ import annotations

import os
import ssl
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12


def from_pem(cert: str, key: str) -> tuple[ssl.SSLContext, str]:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx, _arr_ssl(x509.load_pem_x509_certificate(Path(cert).read_bytes()))


def from_pfx(pfx: Path, password_file: Path | None) -> tuple[ssl.SSLContext, str]:
    # A missing or empty password file means no password, as in iis/Configure-Iis.ps1.
    text = password_file.read_text().strip() if password_file and password_file.exists() else ""
    password = text.encode() or None
    key, cert, chain = pkcs12.load_key_and_certificates(pfx.read_bytes(), password)
    if key is None or cert is None:
        raise ValueError(f"{pfx} holds no private key and certificate")
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    pem += b"".join(c.public_bytes(serialization.Encoding.PEM) for c in [cert, *chain])
    # ssl loads keys only from files: a private, short-lived one.
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "tls.pem")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(path)
    return ctx, _arr_ssl(cert)


def _arr_ssl(cert: x509.Certificate) -> str:
    # ARR's X-ARR-SSL is "keysize|secretkeysize|issuer|subject"; the cipher sizes are not known
    # before the handshake, so the stand-in states the certificate's key size twice. [INFERRED form]
    size = getattr(cert.public_key(), "key_size", 0)
    return f"{size}|{size}|{cert.issuer.rfc4514_string()}|{cert.subject.rfc4514_string()}"
