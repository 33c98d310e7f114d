"""The head of office's signing step: sign (the letter is signed for real and stored), return to the verifier with a
note, or refuse; a failed signature keeps the step open and the reserved number, and a retry signs under it."""

from __future__ import annotations

import dataclasses
import io

import orjson
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from engine.casework import applications, signing_step, tasks
from engine.context import EngineContext
from engine.documents.signing.port import SigningFailed
from engine.errors import InvalidData
from engine.storage.models import Event, IssuedLetter, RegistrationCounter
from tests import samples
from tests.engine.conftest import APPLICANT, HEAD, VERIFIER, open_task_rows
from tests.signing_fixtures import FakeBsre, SigningCA

NIK = "7371010101800001"
PASSPHRASE = "rahasia-bsre-kadis"


@pytest.fixture(scope="module")
def ca() -> SigningCA:
    return SigningCA.create()


@pytest.fixture(scope="module")
def bsre(ca):
    fake = FakeBsre(ca)
    fake.enrol(NIK, PASSPHRASE, "Kadis")
    fake.start()
    yield fake
    fake.stop()


def _ctx(settings, clock, **changes) -> EngineContext:
    return EngineContext(settings=dataclasses.replace(settings, **changes), clock=clock)


@pytest.fixture
def pades_ctx(settings, clock, ca, tmp_path):
    path = tmp_path / "kantor.p12"
    path.write_bytes(ca.pkcs12("DPMPTSP Sulawesi Selatan", b"sandi-kantor"))
    return _ctx(settings, clock, signing_pkcs12=str(path), signing_passphrase_secret="KANTOR",
                connector_secret_values={"KANTOR": "sandi-kantor"})


@pytest.fixture
def bsre_ctx(settings, clock, bsre):
    return _ctx(settings, clock, bsre_url=bsre.url, bsre_user="lincah", bsre_password="app")


def _to_signing(db, ctx, deploy_service) -> int:
    deploy_service("research_permit")
    with db.transaction() as session:
        instance = applications.start(session, ctx, service="research_permit", data=samples.research_application(),
                                      actor=APPLICANT)
        instance_id = instance.id
    _complete(db, ctx, instance_id, "Task_Verify", VERIFIER, {**samples.VERIFIED, "note": "Lengkap"}, "Setujui")
    return instance_id


def _task_id(db, instance_id: int, element_id: str) -> str:
    with db.transaction() as session:
        (task_id,) = [t.id for t in open_task_rows(session, instance_id) if t.element_id == element_id]
        return task_id


def _complete(db, ctx, instance_id, element_id, actor, data, decision=None):
    task_id = _task_id(db, instance_id, element_id)
    with db.transaction() as session:
        tasks.complete(session, ctx, task_id, actor, data, decision=decision)


def _open(db, instance_id) -> list[str]:
    with db.transaction() as session:
        return [t.element_id for t in open_task_rows(session, instance_id)]


def _events(db, instance_id, kind=None) -> list[Event]:
    with db.transaction() as session:
        query = select(Event).where(Event.instance_id == instance_id).order_by(Event.id)
        if kind:
            query = query.where(Event.kind == kind)
        return list(session.scalars(query))


def test_signing_with_the_office_certificate_stores_a_letter_that_validates(db, pades_ctx, deploy_service, ca):
    ctx = pades_ctx
    instance_id = _to_signing(db, ctx, deploy_service)
    _complete(db, ctx, instance_id, "Task_Sign", HEAD, {"note": "Sesuai"}, "Tandatangani")
    assert _open(db, instance_id) == []
    with db.transaction() as session:
        letter = session.get(IssuedLetter, instance_id)
        instance = session.get(applications.Instance, instance_id)
        data = applications.current_data(ctx, instance)
        pdf = letter.pdf
        assert instance.outcome == "Izin penelitian terbit" and data["issued"] is True
    year = ctx.now().year
    assert data["permit_number"] == letter.permit_number == f"503/00001/IP/DPM-PTSP/{year}"
    status = ca.validate(pdf)
    assert status.bottom_line and status.signing_cert.subject.native["common_name"] == "DPMPTSP Sulawesi Selatan"
    assert f"503/00001/IP/DPM-PTSP/{year}" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    signed = _events(db, instance_id, "letter_signed")
    assert [e.actor for e in signed] == ["kadis"] and signed[0].data["signature"] == "PadesSigner"


def test_a_wrong_bsre_passphrase_keeps_the_step_open_and_the_retry_signs_under_the_same_number(
        db, bsre_ctx, deploy_service, ca):
    ctx = bsre_ctx
    instance_id = _to_signing(db, ctx, deploy_service)
    task_id = _task_id(db, instance_id, "Task_Sign")
    with pytest.raises(SigningFailed) as failed, db.transaction() as session:
        tasks.complete(session, ctx, task_id, HEAD, {"signer_nik": NIK, "signer_passphrase": "keliru-sekali"},
                       decision="Tandatangani")
    assert "Passphrase anda salah" in failed.value.reason and failed.value.element_id == "Task_Sign"
    assert _open(db, instance_id) == ["Task_Sign"]
    [reserved] = _events(db, instance_id, signing_step.RESERVED)
    [refused] = _events(db, instance_id, "signing_failed")
    number = reserved.data["permit_number"]
    assert refused.data["permit_number"] == number and "Passphrase anda salah" in refused.data["reason"]
    with db.transaction() as session:
        assert session.get(IssuedLetter, instance_id) is None

    _complete(db, ctx, instance_id, "Task_Sign", HEAD, {"signer_nik": NIK, "signer_passphrase": PASSPHRASE},
              "Tandatangani")
    assert _open(db, instance_id) == []
    assert len(_events(db, instance_id, signing_step.RESERVED)) == 1, "a retry never reserves a second number"
    with db.transaction() as session:
        letter = session.get(IssuedLetter, instance_id)
        pdf, stored_number = letter.pdf, letter.permit_number
        counter = session.scalar(select(RegistrationCounter.last_seq).where(
            RegistrationCounter.service_key == "letter:research_permit"))
    assert stored_number == number and counter == 1
    status = ca.validate(pdf)
    assert status.bottom_line and status.signing_cert.subject.native["common_name"] == "Kadis"
    everything = b"".join(orjson.dumps(e.data) for e in _events(db, instance_id))
    assert b"keliru-sekali" not in everything and PASSPHRASE.encode() not in everything
    assert NIK.encode() not in everything, "the NIK and passphrase are never stored or audited"
    with db.transaction() as session:
        instance = session.get(applications.Instance, instance_id)
        saved = applications.current_data(ctx, instance)
    assert "signer_nik" not in saved and "signer_passphrase" not in saved and saved["permit_number"] == number


def test_bsre_without_credentials_asks_for_them(db, bsre_ctx, deploy_service):
    instance_id = _to_signing(db, bsre_ctx, deploy_service)
    with pytest.raises(SigningFailed, match="NIK and your BSrE passphrase"), db.transaction() as session:
        tasks.complete(session, bsre_ctx, _task_id(db, instance_id, "Task_Sign"), HEAD, {}, decision="Tandatangani")
    assert _open(db, instance_id) == ["Task_Sign"]


def test_returning_to_the_verifier_needs_a_note_and_reopens_verification(db, ctx, deploy_service):
    instance_id = _to_signing(db, ctx, deploy_service)
    with pytest.raises(InvalidData):
        _complete(db, ctx, instance_id, "Task_Sign", HEAD, {}, "Kembalikan ke verifikator")
    _complete(db, ctx, instance_id, "Task_Sign", HEAD, {"note": "Judul pada draf salah ketik"},
              "Kembalikan ke verifikator")
    assert _open(db, instance_id) == ["Task_Verify"]
    assert _events(db, instance_id, signing_step.RESERVED) == [], "returning reserves no number"
    decided = [e for e in _events(db, instance_id, "task_completed") if e.element_id == "Task_Sign"]
    assert decided[0].data["data"]["note"] == "Judul pada draf salah ketik"


def test_refusing_ends_the_file_as_rejected(db, ctx, deploy_service):
    instance_id = _to_signing(db, ctx, deploy_service)
    _complete(db, ctx, instance_id, "Task_Sign", HEAD, {"note": "Lokasi penelitian di kawasan terlarang"}, "Tolak")
    with db.transaction() as session:
        instance = session.get(applications.Instance, instance_id)
        assert (instance.status, instance.outcome) == ("completed", "Permohonan ditolak Kepala Dinas")
        assert (instance.definition.meta["outcomes"] or {})["Permohonan ditolak Kepala Dinas"] == "reject"
        assert session.get(IssuedLetter, instance_id) is None


def test_the_draft_is_the_letter_marked_draf_with_the_reserved_number_once_there_is_one(
        db, bsre_ctx, deploy_service):
    ctx = bsre_ctx
    instance_id = _to_signing(db, ctx, deploy_service)
    with db.transaction() as session:
        instance = session.get(applications.Instance, instance_id)
        text = PdfReader(io.BytesIO(signing_step.draft(session, ctx, instance, "kadis"))).pages[0].extract_text()
    assert "DRAF" in text and samples.research_application()["applicant_name"] in text
    with pytest.raises(SigningFailed), db.transaction() as session:
        tasks.complete(session, ctx, _task_id(db, instance_id, "Task_Sign"), HEAD,
                       {"signer_nik": NIK, "signer_passphrase": "x"}, decision="Tandatangani")
    with db.transaction() as session:
        instance = session.get(applications.Instance, instance_id)
        text = PdfReader(io.BytesIO(signing_step.draft(session, ctx, instance, "kadis"))).pages[0].extract_text()
    assert f"503/00001/IP/DPM-PTSP/{ctx.now().year}" in text and "DRAF" in text
