"""Form drafts on the server (issue 18): saved from one device, restored on another; only ever the owner's; bounded;
a convenience that never lets a form skip its checks; officers' task forms alike."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from api import create_app
from engine.casework import drafts
from engine.context import EngineContext
from engine.documents import upload_cleanup
from engine.errors import InvalidInput
from engine.people.access import Actor
from engine.storage.models import Attachment, Event, FormDraft, Notification
from tests.web.conftest import Visitor, apply, document, open_task_id, page, research_form, text_of

SCOPE = "start:research_permit"
ANDI = Actor.of("andi", ["applicant"])


def _save(person, fields: dict, scope: str = SCOPE):
    return person.post("/drafts", {"_scope": scope, **fields})


def test_a_draft_saved_on_one_device_comes_back_on_another_with_its_documents_and_goes_once_sent(visitor, db,
                                                                                                  deployed, people):
    phone = visitor("andi")
    proposal = phone.post("/files", {"file": document("proposal.pdf")}).get_json()
    saved = _save(phone, {"research_title": "Kajian mangrove pesisir Sinjai", "nik": "7371010101010001",
                          "proposal.__id": proposal["id"], "proposal.__name": "proposal.pdf"})
    assert saved.status_code == 200 and saved.get_json()["saved_at"]

    laptop = visitor("andi")  # another browser: nothing in common with the phone but the account
    form = page(laptop.get("/services/research_permit/apply"))
    assert form.get_element_by_id("draft-restored") is not None
    assert form.get_element_by_id("f-research_title").get("value") == "Kajian mangrove pesisir Sinjai"
    assert form.get_element_by_id("f-nik").get("value") == "7371010101010001"
    assert form.xpath("//input[@name='proposal.__id']/@value") == [proposal["id"]]
    assert "proposal.pdf" in form.get_element_by_id("f-proposal-current").text_content()
    assert form.xpath("//form[@data-draft-scope]/@data-draft-scope") == [SCOPE]

    fields = research_form(proposal=None)
    fields.update({"proposal.__id": proposal["id"], "proposal.__name": "proposal.pdf"})
    application_id = apply(laptop, form=fields)
    with db.transaction() as session:
        assert session.query(FormDraft).count() == 0, "a sent form's draft has served"
        assert session.get(Attachment, proposal["id"]).instance_id == application_id
    assert page(laptop.get("/services/research_permit/apply")).xpath("//*[@id='draft-restored']") == []


def test_nobody_reads_or_writes_another_persons_draft(visitor, db, deployed, people):
    andi = visitor("andi")
    assert _save(andi, {"research_title": "Rahasia Andi"}).status_code == 200
    budi = visitor("budi")
    assert "Rahasia Andi" not in budi.get("/services/research_permit/apply").get_data(as_text=True)
    application_id = apply(andi)
    vera = visitor("vera")
    verify = open_task_id(db, application_id, "Task_Verify")
    # A task's draft is for who may work the task: not the applicant, not another office's verifier.
    assert _save(andi, {"note": "x"}, f"task:{verify}").status_code == 404
    assert _save(visitor("verbone"), {"note": "x"}, f"task:{verify}").status_code == 404
    assert _save(budi, {"x": "y"}, "start:no_such_service").status_code == 404
    assert _save(vera, {"note": "Catatan Vera setengah jadi"}, f"task:{verify}").status_code == 200
    assert "Catatan Vera setengah jadi" not in visitor("veri2").get(f"/tasks/{verify}").get_data(as_text=True)
    restored = page(vera.get(f"/tasks/{verify}"))
    assert restored.get_element_by_id("draft-restored") is not None
    assert restored.get_element_by_id("f-note").text_content() == "Catatan Vera setengah jadi"
    with db.transaction() as session:
        owners = sorted(d.owner for d in session.query(FormDraft))
    assert owners == ["vera"], "andi's start draft went with the application; the refused saves left nothing"


def test_a_draft_is_bounded_and_says_which_field_is_too_long(visitor, db, ctx, deployed, people):
    andi = visitor("andi")
    refused = _save(andi, {"research_purpose": "x" * (drafts.MAX_VALUE + 1)})
    assert refused.status_code == 422 and "research_purpose" in refused.get_json()["error"]
    too_large = _save(andi, {f"f{i}": "x" * drafts.MAX_VALUE for i in range(14)})
    assert too_large.status_code == 422 and "KB" in too_large.get_json()["error"]
    with db.transaction() as session:
        with pytest.raises(InvalidInput):
            drafts.save(session, ctx, ANDI, SCOPE, [(f"f{i}", "1") for i in range(drafts.MAX_PAIRS + 1)])
        for number in range(drafts.MAX_DRAFTS):
            drafts.save(session, ctx, ANDI, f"start:service_{number}", [("a", "b")])
        with pytest.raises(InvalidInput):
            drafts.save(session, ctx, ANDI, "start:one_too_many", [("a", "b")])
        assert session.query(FormDraft).count() == drafts.MAX_DRAFTS


def test_an_ended_session_is_told_apart_and_the_saved_draft_waits_for_the_next_sign_in(visitor, deployed, people):
    andi = visitor("andi")
    assert _save(andi, {"research_title": "Disimpan sebelum keluar"}).status_code == 200
    csrf = andi.csrf()
    andi.post("/signout")
    ended = andi.post("/drafts", {"_scope": SCOPE, "research_title": "x", "_csrf": csrf})
    assert ended.status_code in (400, 401)
    again = visitor("andi")
    assert "Disimpan sebelum keluar" in again.get("/services/research_permit/apply").get_data(as_text=True)


def test_a_restored_draft_never_skips_the_forms_checks(visitor, db, deployed, people):
    andi = visitor("andi")
    assert _save(andi, {"nik": "123", "research_title": "Judul"}).status_code == 200
    restored = andi.get("/services/research_permit/apply")
    assert restored.status_code == 200 and "error-summary" not in restored.get_data(as_text=True)
    refused = andi.post("/services/research_permit/apply", research_form(nik="123"))
    assert refused.status_code == 422 and page(refused).get_element_by_id("f-nik-error") is not None
    with db.transaction() as session:
        assert session.query(FormDraft).count() == 1, "a refused form keeps its draft"


def test_drafts_expire_with_a_notice_first_and_keep_their_uploads_until_then(visitor, db, ctx, clock, deployed,
                                                                               people):
    andi = visitor("andi")
    proposal = andi.post("/files", {"file": document("proposal.pdf")}).get_json()
    assert _save(andi, {"proposal.__id": proposal["id"], "proposal.__name": "proposal.pdf"}).status_code == 200
    clock.advance(timedelta(days=ctx.settings.draft_lifetime_days - ctx.settings.draft_notice_days - 1))
    with db.transaction() as session:
        assert drafts.warn_expiring(session, ctx) == 0  # not yet
        forgotten, _checksums = upload_cleanup.forget_unattached(session, ctx)
        assert forgotten == 0 and session.get(Attachment, proposal["id"]) is not None, "the draft keeps it"
    clock.advance(timedelta(days=2))
    with db.transaction() as session:
        assert drafts.warn_expiring(session, ctx) == 1
        assert drafts.warn_expiring(session, ctx) == 0, "told once"
    with db.transaction() as session:
        (notice,) = session.query(Notification).filter_by(kind=drafts.DRAFT_EXPIRING).all()
        assert notice.recipient == "andi" and "draf" in notice.body
    clock.advance(timedelta(days=2))
    with db.transaction() as session:
        assert drafts.load(session, ctx, ANDI, SCOPE) is None
        assert drafts.purge_expired(session, ctx) == 1
        assert session.query(Event).filter_by(kind="drafts_expired").count() == 1
        forgotten, _checksums = upload_cleanup.forget_unattached(session, ctx)
        assert forgotten == 1, "once the draft is gone its upload is an ordinary unattached one"
    assert "draft-restored" not in text_of(andi.get("/services/research_permit/apply"))


def test_the_applicants_revision_form_keeps_its_draft_until_the_revision_is_sent(visitor, db, deployed, people):
    andi = visitor("andi")
    application_id = apply(andi)
    visitor("vera").post(f"/tasks/{open_task_id(db, application_id, 'Task_Verify')}",
                         {"_decision": "Kembalikan untuk perbaikan", "note": "Judul kurang jelas."})
    revise = open_task_id(db, application_id, "Task_Revise")
    assert _save(andi, {"research_title": "Judul yang diperbaiki", "response_note": "Sudah saya perjelas."},
                 f"task:{revise}").status_code == 200
    assert _save(visitor("budi"), {"research_title": "x"}, f"task:{revise}").status_code == 404
    restored = page(visitor("andi").get(f"/tasks/{revise}"))
    assert restored.get_element_by_id("draft-restored") is not None
    assert restored.get_element_by_id("f-research_title").get("value") == "Judul yang diperbaiki"
    sent = andi.post(f"/tasks/{revise}", {**research_form(research_title="Judul yang diperbaiki"),
                                          "response_note": "Sudah saya perjelas.", "_revision": "2"})
    assert sent.status_code == 302, text_of(sent)
    with db.transaction() as session:
        assert session.query(FormDraft).count() == 0


def test_a_program_saving_drafts_far_faster_than_anyone_types_is_stopped(db, settings, clock, deployed, people):
    ctx = EngineContext(settings=replace(settings, limit_draft_per_account="3 per minute"), clock=clock)
    person = Visitor(create_app({"TESTING": True, "SECRET_KEY": "test-secret"}, context=ctx,
                                session_factory=db.factory).test_client())
    person.sign_in("andi")
    answers = [_save(person, {"research_title": f"versi {n}"}) for n in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert "terlalu sering" in answers[-1].get_json()["error"]
