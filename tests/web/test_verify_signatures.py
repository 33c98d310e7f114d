"""The verification page checks the electronic signature of the PDF someone uploads, with pyHanko against the trust
roots the installation names (LINCAH_SIGNING_TRUST_ROOTS): who signed, when, intact, trusted — each said in a
sentence. The issued letter signed by the office's CA is intact and trusted; the same bytes on a server that does not
trust that CA are identical but untrusted; one changed byte is neither the issued letter nor a valid signature."""

from __future__ import annotations

import dataclasses
import io

import pytest
from cryptography.hazmat.primitives import serialization

from api import create_app
from engine.context import EngineContext
from engine.storage.models import IssuedLetter
from tests.letters import set_up_letterhead
from tests.signing_fixtures import SigningCA
from tests.web.conftest import Visitor, page, text_of
from tests.web.test_permits import issue

pytestmark = pytest.mark.usefixtures("deployed", "people")


@pytest.fixture(scope="module")
def ca() -> SigningCA:
    return SigningCA.create()


def _pem(ca: SigningCA, path):
    path.write_bytes(ca.cert.public_bytes(serialization.Encoding.PEM))
    return str(path)


@pytest.fixture
def settings(settings, ca, tmp_path):
    """The office signs with a certificate of the test CA, and the page trusts that CA."""
    office = tmp_path / "kantor.p12"
    office.write_bytes(ca.pkcs12("DPMPTSP Sulawesi Selatan", b"sandi-kantor"))
    return dataclasses.replace(settings, signing_pkcs12=str(office), signing_passphrase_secret="KANTOR",
                               connector_secret_values={"KANTOR": "sandi-kantor"},
                               signing_trust_roots=_pem(ca, tmp_path / "akar.pem"))


@pytest.fixture(autouse=True)
def _letterhead(db, people):
    with db.transaction() as session:
        set_up_letterhead(session)


def _issued(visitor, db) -> IssuedLetter:
    application_id = issue(visitor, db)
    with db.transaction() as session:
        letter = session.get(IssuedLetter, application_id)
        letter.pdf  # noqa: B018 - load the deferred bytes while the session is open
        return letter


def _check(client: Visitor, letter: IssuedLetter, pdf: bytes, name: str = "izin.pdf"):
    answer = client.post(f"/verify/{letter.verify_token}", {"letter": (io.BytesIO(pdf), name)})
    assert answer.status_code == 200
    return answer


def _facts(answer) -> dict[str, str]:
    (signature,) = page(answer).cssselect("ul.signature")
    facts = {item.get("data-fact"): item.text_content().strip() for item in signature.cssselect("li")}
    return {"is_intact": signature.get("data-intact"), "is_trusted": signature.get("data-trusted"), **facts}


def _visitors_of(db, ctx, **changes):
    """Visitors of the same database through an app whose settings differ by ``changes``."""
    other = EngineContext(settings=dataclasses.replace(ctx.settings, **changes), clock=ctx.clock)
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret"}, context=other, session_factory=db.factory)

    def make(username: str | None = None) -> Visitor:
        person = Visitor(app.test_client())
        if username:
            person.sign_in(username)
        return person

    return make


def test_the_issued_letter_is_identical_signed_by_the_office_intact_and_trusted(visitor, db):
    letter = _issued(visitor, db)
    answer = _check(visitor(), letter, letter.pdf)
    assert page(answer).cssselect("[data-check]")[0].get("data-check") == "identical"
    facts = _facts(answer)
    assert facts["is_intact"] == "yes" and facts["is_trusted"] == "yes"
    assert "DPMPTSP Sulawesi Selatan (Lincah Test CA)" in facts["signer"]
    assert "Ditandatangani" in facts["signer"] or "Signed" in facts["signer"]
    assert "tidak diubah" in facts["intact"] or "not changed" in facts["intact"], facts
    assert "tepercaya" in facts["trusted"] or "trusts" in facts["trusted"], facts
    assert "no trusted timestamp" in facts["time"] or "tidak memuat cap waktu" in facts["time"], (
        "no TSA configured: the time is the signer's own claim, and the page says so")


def test_the_same_bytes_on_a_server_that_does_not_trust_the_ca_say_so(visitor, db, ctx, tmp_path):
    letter = _issued(visitor, db)
    elsewhere = _visitors_of(db, ctx, signing_trust_roots=_pem(SigningCA.create(), tmp_path / "lain.pem"))()
    answer = _check(elsewhere, letter, letter.pdf)
    assert page(answer).cssselect("[data-check]")[0].get("data-check") == "identical"
    facts = _facts(answer)
    assert facts["is_intact"] == "yes" and facts["is_trusted"] == "no"
    assert "TIDAK" in facts["trusted"] or "NOT" in facts["trusted"]
    unconfigured = _facts(_check(_visitors_of(db, ctx, signing_trust_roots="")(), letter, letter.pdf))
    assert unconfigured["is_trusted"] == "no" and "LINCAH_SIGNING_TRUST_ROOTS" in unconfigured["trusted"]


def test_one_changed_byte_is_not_the_issued_letter_and_breaks_the_signature(visitor, db):
    letter = _issued(visitor, db)
    at = letter.pdf.index(b"/Producer") + 1  # inside the signed range; the file still parses
    altered = letter.pdf[:at] + b"p" + letter.pdf[at + 1:]
    answer = _check(visitor(), letter, altered)
    assert page(answer).cssselect("[data-check]")[0].get("data-check") == "different"
    facts = _facts(answer)
    assert facts["is_intact"] == "no" and "trusted" not in facts, "a broken signature vouches for nobody"
    assert "RUSAK" in facts["intact"] or "BROKEN" in facts["intact"]


def test_a_file_that_is_not_a_pdf_or_carries_no_signature_says_so(visitor, db, ctx):
    letter = _issued(visitor, db)
    garbage = _check(visitor(), letter, b"bukan surat sama sekali", "catatan.pdf")
    assert page(garbage).cssselect("[data-signature]")[0].get("data-signature") == "unreadable"
    unsigned = _visitors_of(db, ctx, signing_pkcs12="")
    plain = _issued(unsigned, db)
    answer = _check(unsigned(), plain, plain.pdf)
    assert page(answer).cssselect("[data-check]")[0].get("data-check") == "identical"
    assert page(answer).cssselect("[data-signature]")[0].get("data-signature") == "none"
    assert "tanda tangan elektronik" in text_of(answer) or "no electronic signature" in text_of(answer)
