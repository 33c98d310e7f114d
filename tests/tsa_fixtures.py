"""A fake RFC 3161 timestamp authority for the signing tests: real HTTP on 127.0.0.1 (``POST`` of a DER
``TimeStampReq`` as ``application/timestamp-query``), answering ``application/timestamp-reply`` tokens signed by a
TSA certificate the test CA issues (extended key usage *timeStamping*, critical, as RFC 3161 requires). pyHanko's
``DummyTimeStamper`` builds the token; this wraps it in the HTTP a real TSA speaks. ``stop()`` makes it unreachable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from tests.local_http import FakeServiceHandler, serve_locally
from tests.signing_fixtures import SigningCA

TSA_NAME = "Lincah Test TSA"


def _der(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def issue_tsa_certificate(ca: SigningCA) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    # RFC 3161: a TSA's certificate has the one extended key usage timeStamping, marked critical.
    return ca.issue(TSA_NAME, ExtendedKeyUsageOID.TIME_STAMPING, usage_critical=True)


@dataclass
class FakeTsa:
    ca: SigningCA
    url: str = ""
    requests: list[bytes] = field(default_factory=list)

    def start(self) -> FakeTsa:
        key, cert = issue_tsa_certificate(self.ca)
        stamper = DummyTimeStamper(
            tsa_cert=_der(cert),
            tsa_key=asn1_keys.PrivateKeyInfo.load(key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
            certs_to_embed=[_der(self.ca.cert)])
        fake = self

        class Handler(FakeServiceHandler):
            def do_POST(self):  # noqa: N802 (the standard library's name)
                body = self.read_body()
                fake.requests.append(body)
                if self.headers.get("Content-Type") != "application/timestamp-query":
                    return self.answer(415)
                reply = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
                self.answer(200, reply, "application/timestamp-reply")

        self._server = serve_locally(Handler)
        self.url = f"{self._server.base_url}/tsa"
        return self

    def stop(self) -> None:
        self._server.stop()
