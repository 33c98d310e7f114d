"""The demo's own certificate authority, so a letter issued in ``make run`` carries a real PAdES signature.

``lincah demo`` makes, once, in the instance folder's ``demo-signing/``: a demo root CA (``demo-ca.pem``), the demo
office's signing certificate under it with its key as PKCS#12 (``office.p12``), and the PKCS#12 passphrase — random,
generated here — as the named secret ``DEMO_SIGNING_PASSPHRASE`` in ``secrets.toml`` (mode 0600; a
``LINCAH_SECRET_DEMO_SIGNING_PASSPHRASE`` variable wins). Re-running the demo keeps them, so letters signed before
stay verifiable.

An installation whose settings name no signer (neither ``LINCAH_BSRE_URL`` nor ``LINCAH_SIGNING_PKCS12``) signs with
these files when they exist, and its verification page trusts the demo root only while
``LINCAH_SIGNING_TRUST_ROOTS`` is unset: an installation that names its own roots never trusts the demo's. Every
name on the certificates says DEMO, and the verification page says so in words, so nobody takes a demo letter
for an office's.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from engine.config import Settings

FOLDER = "demo-signing"
SECRET_NAME = "DEMO_SIGNING_PASSPHRASE"
#: The organisation both demo certificates name; the verification page recognises a demo signature by it.
ORGANISATION = "Lincah DEMO - bukan sertifikat resmi"
OFFICE_NAME = "DEMO DPMPTSP Provinsi Sulawesi Selatan"
_VALID_YEARS = 5


@dataclass(frozen=True)
class DemoSigning:
    pkcs12: Path
    root: Path
    passphrase: str
    created: bool = False


def folder(settings: Settings) -> Path:
    return Path(settings.instance_path) / FOLDER


def ensure(settings: Settings) -> DemoSigning:
    """The demo's CA, office certificate and passphrase, made now if the instance folder lacks them."""
    where = folder(settings)
    found = existing(settings)
    if found is not None:
        return found
    where.mkdir(parents=True, exist_ok=True)
    passphrase = secrets.token_urlsafe(24)
    now = dt.datetime.now(dt.UTC)
    until = now + dt.timedelta(days=365 * _VALID_YEARS)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = _name("Lincah DEMO Root CA")
    ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
               .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(until)
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(_usage(signs_certificates=True), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
               .sign(ca_key, hashes.SHA256()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (x509.CertificateBuilder().subject_name(_name(OFFICE_NAME)).issuer_name(ca_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(until)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(signs_certificates=False), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    bundle = pkcs12.serialize_key_and_certificates(
        b"demo-office", key, cert, [ca_cert], serialization.BestAvailableEncryption(passphrase.encode()))
    _write(where / "secrets.toml", f'{SECRET_NAME} = "{passphrase}"\n'.encode())
    _write(where / "office.p12", bundle)
    # the root last: its presence marks a complete set (``existing``)
    (where / "demo-ca.pem").write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    return DemoSigning(where / "office.p12", where / "demo-ca.pem", passphrase, created=True)


def existing(settings: Settings) -> DemoSigning | None:
    """The demo's signing files when ``lincah demo`` made them, else ``None``."""
    where = folder(settings)
    root, bundle, stored = where / "demo-ca.pem", where / "office.p12", where / "secrets.toml"
    if not (root.is_file() and bundle.is_file() and stored.is_file()):
        return None
    passphrase = settings.connector_secret_values.get(SECRET_NAME)
    if passphrase is None:
        passphrase = str(tomllib.loads(stored.read_text(encoding="utf-8")).get(SECRET_NAME, ""))
    return DemoSigning(bundle, root, passphrase)


def in_use(settings: Settings) -> DemoSigning | None:
    """The demo's files when the settings name no signer of their own (BSrE or a PKCS#12 file)."""
    if settings.bsre_url or settings.signing_pkcs12:
        return None
    return existing(settings)


def trust_roots_setting(settings: Settings) -> str:
    """``LINCAH_SIGNING_TRUST_ROOTS`` as given, else the demo's root when the demo signs the letters."""
    if settings.signing_trust_roots:
        return settings.signing_trust_roots
    demo = in_use(settings)
    return str(demo.root) if demo is not None else ""


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _usage(*, signs_certificates: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=True, content_commitment=not signs_certificates, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=signs_certificates,
                         crl_sign=signs_certificates, encipher_only=False, decipher_only=False)


def _write(path: Path, data: bytes) -> None:
    """A file only its owner reads (the key and the passphrase)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)
