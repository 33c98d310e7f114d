"""A signing step deemed approved by the clock (*fiktif positif*, PP 28/2025) issues its letter as the head's own
choice would: the number reserved, the letter signed with the office's certificate and stored. A personal (BSrE)
signature cannot be made without its signer: the step stays breached, the reason is recorded."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from engine.casework import signing_step
from engine.context import EngineContext
from engine.storage.models import IssuedLetter
from tests.drive import create_staff, events, instance, open_rows, row, sla_pass, start
from tests.engine.test_sla import _review_process, prop
from tests.signing_fixtures import SigningCA

SIGNING = prop("sla", "PT1H") + prop("letter.sign", "true")
DEEMED = prop("sla.on_breach", "approve") + prop("letter.number", "503/{seq:03d}/FP/{year}")


@pytest.fixture(scope="module")
def ca() -> SigningCA:
    return SigningCA.create()


def _with(ctx, **changes) -> EngineContext:
    return EngineContext(settings=dataclasses.replace(ctx.settings, **changes), clock=ctx.clock)


def test_a_signing_step_deemed_approved_issues_a_letter_signed_with_the_office_certificate(
        db, ctx, clock, deploy, ca, tmp_path):
    path = tmp_path / "kantor.p12"
    path.write_bytes(ca.pkcs12("DPMPTSP Sulawesi Selatan", b"k"))
    ctx = _with(ctx, signing_pkcs12=str(path), signing_passphrase_secret="K", connector_secret_values={"K": "k"})
    create_staff(db, ctx)
    deploy(_review_process(task_properties=SIGNING, process_properties=DEEMED))
    iid = start(db, ctx, "p")
    clock.advance(timedelta(hours=1, seconds=1))
    assert sla_pass(db, ctx).approved == 1
    assert (instance(db, iid).status, row(db, iid, "review").decision) == ("completed", "Setujui")
    [reserved] = events(db, iid, signing_step.RESERVED)
    assert reserved.actor == "system" and reserved.data["permit_number"] == f"503/001/FP/{clock.now().year}"
    with db.transaction() as session:
        letter = session.get(IssuedLetter, iid)
        pdf, number = letter.pdf, letter.permit_number
    assert number == reserved.data["permit_number"] and ca.validate(pdf).bottom_line


def test_a_personal_signature_cannot_be_deemed_the_step_stays_breached_with_the_reason(db, ctx, clock, deploy):
    ctx = _with(ctx, bsre_url="http://127.0.0.1:9")
    create_staff(db, ctx)
    deploy(_review_process(task_properties=SIGNING, process_properties=DEEMED))
    iid = start(db, ctx, "p")
    clock.advance(timedelta(hours=1, seconds=1))
    assert sla_pass(db, ctx).approved == 0
    assert [r.element_id for r in open_rows(db, iid)] == ["review"]
    [failed] = events(db, iid, "fiktif_positif_failed")
    assert "NIK and your BSrE passphrase" in failed.data["reason"]
    assert len(events(db, iid, signing_step.RESERVED)) == 1, "the number stays reserved for the head's signature"
