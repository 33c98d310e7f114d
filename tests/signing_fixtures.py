"""A test certificate authority and a fake BSrE server that signs for real, for the signing tests.

The CA is made in the test (cryptography): a root and, under it, one certificate per signer. The fake BSrE server is
real HTTP on 127.0.0.1 speaking BSrE's ``POST /api/sign/pdf`` (multipart ``file``, ``nik``, ``passphrase``,
``tampilan``): it signs with pyHanko and the signer's key when the passphrase matches, and answers like BSrE when it
does not (HTTP 400, ``{"error": "Passphrase anda salah", "status_code": 2031}``).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from engine.documents.signing.pades import sign_with
from engine.documents.signing.port import SignerIdentity
from tests.local_http import FakeServiceHandler, serve_locally


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Lincah Test CA"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


@dataclass
class SigningCA:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    @classmethod
    def create(cls) -> SigningCA:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        now = dt.datetime.now(dt.UTC)
        cert = (x509.CertificateBuilder().subject_name(_name("Lincah Test Root")).issuer_name(_name("Lincah Test Root"))
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=365))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                             data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                             crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .sign(key, hashes.SHA256()))
        return cls(key, cert)

    def issue(self, common: str, usage=ExtendedKeyUsageOID.EMAIL_PROTECTION,
              usage_critical: bool = False) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
        """A certificate for ``common`` under this root, for one extended key ``usage`` (a signer's by default)."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        now = dt.datetime.now(dt.UTC)
        cert = (x509.CertificateBuilder().subject_name(_name(common)).issuer_name(self.cert.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=90))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                             data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                             crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.ExtendedKeyUsage([usage]), critical=usage_critical)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                               critical=False)
                .sign(self.key, hashes.SHA256()))
        return key, cert

    def pkcs12(self, common: str, passphrase: bytes) -> bytes:
        key, cert = self.issue(common)
        return pkcs12.serialize_key_and_certificates(common.encode(), key, cert, [self.cert],
                                                     serialization.BestAvailableEncryption(passphrase))

    def validate(self, pdf: bytes):
        """pyHanko's own validation of the one signature in ``pdf``, trusting only this CA's root.

        In a thread of its own: pyHanko runs its validation in an event loop of its own, which cannot start in a
        thread already running one (Playwright's sync API runs one in the test's thread)."""
        with ThreadPoolExecutor(max_workers=1) as worker:
            return worker.submit(self._validate, pdf).result()

    def _validate(self, pdf: bytes):
        root = asn1_x509.Certificate.load(self.cert.public_bytes(serialization.Encoding.DER))
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        assert len(reader.embedded_signatures) == 1, "the letter carries exactly one signature"
        return validate_pdf_signature(reader.embedded_signatures[0], ValidationContext(trust_roots=[root]))


@dataclass
class FakeBsre:
    """BSrE's signing endpoint on 127.0.0.1: people are ``{nik: (passphrase, pkcs12 bytes)}``."""

    ca: SigningCA
    people: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    requests: list[dict] = field(default_factory=list)
    url: str = ""

    def enrol(self, nik: str, passphrase: str, name: str) -> None:
        self.people[nik] = (passphrase, self.ca.pkcs12(name, b"bsre-internal"))

    def start(self) -> FakeBsre:
        fake = self

        class Handler(FakeServiceHandler):
            def do_POST(self):  # noqa: N802 (the standard library's name)
                body = self.read_body()
                if self.path != "/api/sign/pdf":
                    return self._answer(404, {"error": "not found", "status_code": 404})
                parts = _multipart(self.headers.get("Content-Type", ""), body)
                fake.requests.append({"fields": sorted(parts), "auth": self.headers.get("Authorization"),
                                      "tampilan": parts.get("tampilan", b"").decode()})
                nik = parts.get("nik", b"").decode()
                person = fake.people.get(nik)
                if person is None:
                    return self._answer(400, {"error": "NIK tidak terdaftar", "status_code": 2021})
                if parts.get("passphrase", b"").decode() != person[0]:
                    return self._answer(400, {"error": "Passphrase anda salah", "status_code": 2031})
                key = signers.SimpleSigner.load_pkcs12_data(person[1], other_certs=(), passphrase=b"bsre-internal")
                self.answer(200, sign_with(key, parts["file"], SignerIdentity(name=nik)), "application/pdf")

            def _answer(self, status: int, body: dict):
                self.answer(status, json.dumps(body).encode(), "application/json")

        self._server = serve_locally(Handler)
        self.url = self._server.base_url
        return self

    def stop(self) -> None:
        self._server.stop()


def _multipart(content_type: str, body: bytes) -> dict[str, bytes]:
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    return {part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
            for part in message.iter_parts()}
