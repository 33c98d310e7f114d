"""``lincah demo`` signs for real: it makes (once, in the instance folder) a DEMO CA and office certificate as
PKCS#12 with a generated passphrase kept as a named secret, the letter it issues carries a PAdES signature of that
certificate, and the verification page calls it trusted — and a DEMO — only while the installation names no trust
roots of its own."""

from __future__ import annotations

import io
import stat
from concurrent.futures import ThreadPoolExecutor

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from lxml import html
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from api import create_app
from api.cli import main as cli
from engine.config import Settings
from engine.context import EngineContext
from engine.documents.signing import demo_certificate
from engine.storage.models import IssuedLetter
from tests.letters import text_of_pdf
from tests.signing_fixtures import SigningCA
from tests.web.conftest import Visitor


def _validate(pdf: bytes, root_pem: bytes):
    (_kind, _headers, der), = [pem.unarmor(root_pem)]
    root = asn1_x509.Certificate.load(der)

    def run():
        (signature,) = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
        return validate_pdf_signature(signature, ValidationContext(trust_roots=[root]))

    with ThreadPoolExecutor(max_workers=1) as worker:  # pyHanko's event loop in a thread of its own
        return worker.submit(run).result()


def _check(db, settings: Settings, letter: IssuedLetter):
    app = create_app({"TESTING": True, "SECRET_KEY": "t"}, context=EngineContext(settings=settings),
                     session_factory=db.factory)
    answer = Visitor(app.test_client()).post(f"/verify/{letter.verify_token}",
                                             {"letter": (io.BytesIO(letter.pdf), "izin.pdf")})
    assert answer.status_code == 200
    (signature,) = html.fromstring(answer.get_data(as_text=True)).cssselect("ul.signature")
    return signature


def test_the_demo_signs_its_letter_with_a_demo_certificate_the_page_trusts(db, tmp_path):
    instance = tmp_path / "instance"
    env = {"LINCAH_DATABASE_URL": db.url, "LINCAH_INSTANCE_PATH": str(instance)}
    first = CliRunner().invoke(cli, ["demo"], env=env)
    assert first.exit_code == 0, first.output
    assert "signed with a DEMO certificate (made in" in first.output
    assert "trusted by the verification page" in first.output
    folder = instance / demo_certificate.FOLDER
    for name in ("office.p12", "secrets.toml"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, f"{name} is for the server's eyes only"
    root_pem = (folder / "demo-ca.pem").read_bytes()
    passphrase = (folder / "secrets.toml").read_text()
    assert passphrase.startswith(f"{demo_certificate.SECRET_NAME} = ")

    with db.transaction() as session:
        (letter,) = session.query(IssuedLetter).all()
        letter.pdf  # noqa: B018 - load the deferred bytes while the session is open
    status = _validate(letter.pdf, root_pem)
    assert status.bottom_line, "a real PAdES signature that chains to the demo root"
    assert status.signing_cert.subject.native["common_name"] == demo_certificate.OFFICE_NAME
    assert "sertifikat DEMO (lincah demo): bukan dokumen resmi" in text_of_pdf(letter.pdf), "the letter says so too"

    settings = Settings(database_url=db.url, instance_path=instance)
    shown = _check(db, settings, letter)
    assert shown.get("data-intact") == "yes" and shown.get("data-trusted") == "yes"
    assert shown.cssselect("[data-fact=demo]"), "the page says the certificate is a DEMO one"
    assert "DEMO" in shown.cssselect("[data-fact=signer]")[0].text_content()

    other_root = tmp_path / "kantor-ca.pem"
    other_root.write_bytes(SigningCA.create().cert.public_bytes(serialization.Encoding.PEM))
    own_roots = _check(db, Settings(database_url=db.url, instance_path=instance,
                                    signing_trust_roots=str(other_root)), letter)
    assert own_roots.get("data-intact") == "yes" and own_roots.get("data-trusted") == "no", (
        "an installation naming its own roots does not trust the demo's")

    again = CliRunner().invoke(cli, ["demo"], env=env)
    assert again.exit_code == 0, again.output
    assert "(kept in" in again.output
    assert (folder / "demo-ca.pem").read_bytes() == root_pem and (folder / "secrets.toml").read_text() == passphrase


def test_settings_that_name_a_signer_leave_the_demo_certificate_unused(tmp_path):
    settings = Settings(instance_path=tmp_path)
    demo_certificate.ensure(settings)
    assert demo_certificate.in_use(settings) is not None
    assert demo_certificate.trust_roots_setting(settings).endswith("demo-ca.pem")
    own = Settings(instance_path=tmp_path, signing_pkcs12="/etc/lincah/kantor.p12")
    assert demo_certificate.in_use(own) is None and demo_certificate.trust_roots_setting(own) == ""
    assert demo_certificate.in_use(Settings(instance_path=tmp_path / "fresh")) is None, "no demo, no certificate"
