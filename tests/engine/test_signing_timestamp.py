"""A trusted timestamp (RFC 3161) in the letter's signature: with LINCAH_SIGNING_TSA_URL set, the signature carries a
token from the timestamp authority — here a fake one on 127.0.0.1 whose certificate the test CA issued — that
pyHanko validates against the test root; the TSA unreachable fails the signature with a reason naming it, and the
signing step stays open with its number kept for the retry."""

from __future__ import annotations

import dataclasses
import socket

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from engine.casework import applications, tasks
from engine.context import EngineContext
from engine.documents import permit_letter
from engine.documents.signing.pades import PadesSigner
from engine.documents.signing.port import SignerIdentity, SigningFailed
from engine.documents.signing.validation import check_here
from engine.storage.models import Event, IssuedLetter
from tests import samples
from tests.engine.conftest import APPLICANT, HEAD, VERIFIER, open_task_rows
from tests.signing_fixtures import SigningCA
from tests.tsa_fixtures import TSA_NAME, FakeTsa

HEAD_SIGNER = SignerIdentity(name="Dr. Andi Makkasau", position="Kepala Dinas", location="Makassar")


@pytest.fixture(scope="module")
def ca() -> SigningCA:
    return SigningCA.create()


@pytest.fixture
def tsa(ca):
    fake = FakeTsa(ca).start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def letter() -> bytes:
    facts = permit_letter.PermitFacts(
        office="DPMPTSP-SULSEL", title="Surat Izin Penelitian", permit_number="503/00001/IP/DPM-PTSP/2026",
        registration_no="DPMPTSP-SULSEL/IP/2026/00001", holder="Andi Rahman", issued_on="6 Desember 2026",
        signed_by="Dr. Andi Makkasau", legal_basis="Permendagri No. 3 Tahun 2018", details=[])
    return permit_letter.render(facts, check_url="https://izin.example.go.id/cek/1")


def _unused_address() -> str:
    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/tsa"


def test_a_signature_made_with_a_tsa_carries_a_token_that_validates_against_the_test_root(ca, tsa, letter):
    signed = PadesSigner(ca.pkcs12("DPMPTSP Sulawesi Selatan", b"x"), "x", tsa_url=tsa.url).sign(letter, HEAD_SIGNER)
    assert tsa.requests, "the signature asked the TSA (pyHanko also asks once to size the token)"
    status = ca.validate(signed)
    assert status.bottom_line
    stamp = status.timestamp_validity
    assert stamp is not None, "the signature carries a timestamp token"
    assert stamp.intact and stamp.valid and stamp.trusted
    assert stamp.signing_cert.subject.native["common_name"] == TSA_NAME
    (found,) = check_here(signed, [ca.cert.public_bytes(serialization.Encoding.DER)]).signatures
    assert found.timestamped and found.signed_at == stamp.timestamp and TSA_NAME in found.timestamp_authority


def test_a_timestamp_from_a_tsa_nobody_trusts_is_not_called_certified(ca, tsa, letter):
    signed = PadesSigner(ca.pkcs12("DPMPTSP Sulawesi Selatan", b"x"), "x", tsa_url=tsa.url).sign(letter, HEAD_SIGNER)
    other_root = SigningCA.create().cert.public_bytes(serialization.Encoding.DER)
    (found,) = check_here(signed, [other_root]).signatures
    assert not found.timestamped and not found.trusted and found.intact


def test_the_tsa_unreachable_fails_the_signature_naming_it(ca, letter):
    address = _unused_address()
    signer = PadesSigner(ca.pkcs12("DPMPTSP Sulawesi Selatan", b"x"), "x", tsa_url=address)
    with pytest.raises(SigningFailed) as failed:
        signer.sign(letter, HEAD_SIGNER)
    assert address in failed.value.reason and "timestamp authority" in failed.value.reason


def _complete(db, ctx, instance_id, element_id, actor, data, decision):
    with db.transaction() as session:
        (task_id,) = [t.id for t in open_task_rows(session, instance_id) if t.element_id == element_id]
    with db.transaction() as session:
        tasks.complete(session, ctx, task_id, actor, data, decision=decision)


def test_the_tsa_down_keeps_the_signing_step_open_and_the_retry_signs_under_the_same_number(
        db, settings, clock, ca, deploy_service, tmp_path):
    office = tmp_path / "kantor.p12"
    office.write_bytes(ca.pkcs12("DPMPTSP Sulawesi Selatan", b"sandi"))
    signing = dict(signing_pkcs12=str(office), signing_passphrase_secret="KANTOR",
                   connector_secret_values={"KANTOR": "sandi"})
    down = EngineContext(settings=dataclasses.replace(settings, signing_tsa_url=_unused_address(), **signing),
                         clock=clock)
    deploy_service("research_permit")
    with db.transaction() as session:
        instance_id = applications.start(session, down, service="research_permit",
                                         data=samples.research_application(), actor=APPLICANT).id
    _complete(db, down, instance_id, "Task_Verify", VERIFIER, {**samples.VERIFIED, "note": "Lengkap"}, "Setujui")
    with pytest.raises(SigningFailed) as failed:
        _complete(db, down, instance_id, "Task_Sign", HEAD, {"note": "Sesuai"}, "Tandatangani")
    assert "timestamp authority" in failed.value.reason
    with db.transaction() as session:
        assert [t.element_id for t in open_task_rows(session, instance_id)] == ["Task_Sign"]
        assert session.get(IssuedLetter, instance_id) is None
        (failure,) = session.scalars(select(Event).where(Event.instance_id == instance_id,
                                                         Event.kind == "signing_failed"))
        reserved = failure.data["permit_number"]
    tsa = FakeTsa(ca).start()
    try:
        up = EngineContext(settings=dataclasses.replace(settings, signing_tsa_url=tsa.url, **signing), clock=clock)
        _complete(db, up, instance_id, "Task_Sign", HEAD, {"note": "Sesuai"}, "Tandatangani")
    finally:
        tsa.stop()
    with db.transaction() as session:
        letter = session.get(IssuedLetter, instance_id)
        assert letter.permit_number == reserved, "the retry signs under the number reserved by the failed attempt"
        pdf = letter.pdf
    status = ca.validate(pdf)
    assert status.bottom_line and status.timestamp_validity is not None and status.timestamp_validity.trusted
