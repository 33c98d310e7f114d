"""Signing permit letters: PAdES with the office's PKCS#12 certificate and through a fake BSrE server that signs
for real; every signed letter is checked by pyHanko's validator against the test CA."""

from __future__ import annotations

import pytest

from engine.config import Settings
from engine.documents import permit_letter
from engine.documents.signing.bsre import BsreSigner
from engine.documents.signing.configured import signer_from_settings
from engine.documents.signing.pades import PadesSigner
from engine.documents.signing.port import Credentials, SignerIdentity, SigningFailed
from tests.signing_fixtures import FakeBsre, SigningCA

NIK = "7371010101800001"
HEAD = SignerIdentity(name="Dr. Andi Makkasau", position="Kepala Dinas", nip="197001011995031001",
                      location="Makassar")


@pytest.fixture(scope="module")
def ca() -> SigningCA:
    return SigningCA.create()


@pytest.fixture(scope="module")
def letter() -> bytes:
    facts = permit_letter.PermitFacts(
        office="DPMPTSP-SULSEL", title="Surat Izin Penelitian", permit_number="503/00001/IP/DPM-PTSP/2026",
        registration_no="DPMPTSP-SULSEL/IP/2026/00001", holder="Andi Rahman", issued_on="6 Desember 2026 10:00 WITA",
        signed_by="Dr. Andi Makkasau", legal_basis="Permendagri No. 3 Tahun 2018",
        details=[("Judul penelitian", "Terumbu karang Spermonde")])
    return permit_letter.render(facts, check_url="https://izin.example.go.id/cek/1")


@pytest.fixture(scope="module")
def bsre(ca):
    fake = FakeBsre(ca)
    fake.enrol(NIK, "rahasia-bsre-1", "Dr. Andi Makkasau")
    fake.start()
    yield fake
    fake.stop()


def _one_byte_changed(pdf: bytes) -> bytes:
    # A letter of the title inside the signed range: the file still parses, only the content differs.
    at = pdf.index(b"/Title") + 1
    return pdf[:at] + (b"t" if pdf[at:at + 1] == b"T" else b"T") + pdf[at + 1:]


def test_a_letter_signed_with_the_office_certificate_validates_against_the_ca(ca, letter, tmp_path):
    path = tmp_path / "office.p12"
    path.write_bytes(ca.pkcs12("DPMPTSP Sulawesi Selatan", b"kata-sandi"))
    signer = signer_from_settings(Settings(instance_path=tmp_path, signing_pkcs12=str(path),
                                           signing_passphrase_secret="P12",
                                           connector_secret_values={"P12": "kata-sandi"}))
    assert isinstance(signer, PadesSigner) and not signer.needs_credentials
    signed = signer.sign(letter, HEAD)
    assert signed.startswith(letter), "the signature is an incremental update: the letter's bytes are kept"
    status = ca.validate(signed)
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.signing_cert.subject.native["common_name"] == "DPMPTSP Sulawesi Selatan"


def test_one_changed_byte_breaks_the_signature(ca, letter):
    signed = PadesSigner(ca.pkcs12("DPMPTSP Sulawesi Selatan", b"x"), "x").sign(letter, HEAD)
    assert ca.validate(signed).bottom_line
    broken = ca.validate(_one_byte_changed(signed))
    assert not broken.intact and not broken.bottom_line


def test_a_certificate_of_another_ca_is_not_trusted(ca, letter):
    other = SigningCA.create()
    signed = PadesSigner(other.pkcs12("Someone", b"x"), "x").sign(letter, HEAD)
    status = ca.validate(signed)
    assert status.intact and not status.trusted and not status.bottom_line


def test_a_wrong_certificate_passphrase_is_a_clear_signing_failure(ca, letter):
    signer = PadesSigner(ca.pkcs12("DPMPTSP Sulawesi Selatan", b"right"), "wrong")
    with pytest.raises(SigningFailed) as failed:
        signer.sign(letter, HEAD)
    assert "LINCAH_SIGNING_PASSPHRASE_SECRET" in failed.value.reason and "passphrase" in failed.value.reason


def test_a_missing_certificate_file_or_secret_names_the_setting(tmp_path):
    with pytest.raises(SigningFailed, match="LINCAH_SIGNING_PKCS12"):
        signer_from_settings(Settings(instance_path=tmp_path, signing_pkcs12=str(tmp_path / "none.p12")))
    (tmp_path / "a.p12").write_bytes(b"x")
    with pytest.raises(SigningFailed, match="LINCAH_SECRET_P12"):
        signer_from_settings(Settings(instance_path=tmp_path, signing_pkcs12=str(tmp_path / "a.p12"),
                                      signing_passphrase_secret="P12"))
    assert signer_from_settings(Settings(instance_path=tmp_path)) is None


def test_bsre_signs_with_the_signers_own_certificate(ca, letter, bsre, tmp_path):
    signer = signer_from_settings(Settings(instance_path=tmp_path, bsre_url=bsre.url, bsre_user="lincah",
                                           bsre_password="app-secret"))
    assert isinstance(signer, BsreSigner) and signer.needs_credentials
    signed = signer.sign(letter, HEAD, Credentials(NIK, "rahasia-bsre-1"))
    status = ca.validate(signed)
    assert status.bottom_line and status.signing_cert.subject.native["common_name"] == "Dr. Andi Makkasau"
    assert not ca.validate(_one_byte_changed(signed)).bottom_line
    call = bsre.requests[-1]
    assert call["fields"] == ["file", "nik", "passphrase", "tampilan"] and call["tampilan"] == "invisible"
    assert call["auth"].startswith("Basic ")


def test_bsre_wrong_passphrase_is_a_clear_signing_failure_without_the_passphrase(letter, bsre, caplog):
    signer = BsreSigner(bsre.url)
    with pytest.raises(SigningFailed) as failed:
        signer.sign(letter, HEAD, Credentials(NIK, "salah-sekali"))
    assert "Passphrase anda salah" in failed.value.reason and "NIK and passphrase" in failed.value.reason
    assert "salah-sekali" not in failed.value.reason and "salah-sekali" not in caplog.text
    assert "salah-sekali" not in repr(Credentials(NIK, "salah-sekali"))


def test_bsre_asks_for_credentials_and_a_sixteen_digit_nik(letter, bsre):
    signer = BsreSigner(bsre.url)
    with pytest.raises(SigningFailed, match="NIK and your BSrE passphrase"):
        signer.sign(letter, HEAD, None)
    with pytest.raises(SigningFailed, match="16 digits"):
        signer.sign(letter, HEAD, Credentials("12345", "x"))


def test_bsre_out_of_reach_says_to_try_again(letter):
    signer = BsreSigner("http://127.0.0.1:9", timeout=2)
    with pytest.raises(SigningFailed, match="did not answer"):
        signer.sign(letter, HEAD, Credentials(NIK, "x"))
