"""The head of office's task page: the draft letter beside the form, the three choices of the diagram, the NIK and
passphrase when BSrE signs (never kept), a failed signature's reason on the open step; and every officer's page
summarising what the earlier steps recorded, above the form."""

from __future__ import annotations

import dataclasses

import orjson
import pytest
from sqlalchemy import select

from engine.context import EngineContext
from engine.storage.models import Event, FormDraft, IssuedLetter, Task
from tests.letters import set_up_letterhead, text_of_pdf
from tests.samples import CHECKLIST
from tests.signing_fixtures import FakeBsre, SigningCA
from tests.web.conftest import apply, open_task_id, page, text_of

pytestmark = pytest.mark.usefixtures("deployed", "people")

NIK = "7371010101800001"
PASSPHRASE = "sandi-bsre-kadis-01"


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


@pytest.fixture(autouse=True)
def _letterhead(db, people):
    with db.transaction() as session:
        set_up_letterhead(session)


def _verified(visitor, db) -> tuple[int, str]:
    application_id = apply(visitor("andi"))
    response = visitor("vera").post(f"/tasks/{open_task_id(db, application_id, 'Task_Verify')}",
                                    {"_decision": "Setujui", "checklist": CHECKLIST, "note": "Berkas lengkap"})
    assert response.status_code == 302
    return application_id, open_task_id(db, application_id, "Task_Sign")


def test_the_head_reads_the_draft_beside_the_three_choices(visitor, db):
    application_id, task_id = _verified(visitor, db)
    kadis = visitor("kadis")
    tree = page(kadis.get(f"/tasks/{task_id}"))
    [frame] = tree.cssselect(".draft-letter iframe")
    assert frame.get("src") == f"/tasks/{task_id}/draft.pdf"
    assert [b.get("value") for b in tree.cssselect("button[name=_decision]")] == [
        "Tandatangani", "Kembalikan ke verifikator", "Tolak"]
    assert not tree.cssselect("input[name=signer_passphrase]"), "no BSrE: nothing to type"
    draft = kadis.get(frame.get("src"))
    assert draft.status_code == 200 and draft.mimetype == "application/pdf"
    assert draft.headers["X-Frame-Options"] == "SAMEORIGIN"
    text = text_of_pdf(draft.get_data())
    assert "DRAF" in text and "Andi Pratama" in text and "Kajian mangrove pesisir Sinjai" in text
    verify_task = visitor("vera").get(f"/tasks/{task_id}/draft.pdf")
    assert verify_task.status_code in (403, 404), "only who may work (or did) the signing step reads its draft"
    with db.transaction() as session:
        done = session.scalar(select(Task.id).where(Task.instance_id == application_id,
                                                    Task.element_id == "Task_Verify"))
    assert visitor("vera").get(f"/tasks/{done}/draft.pdf").status_code == 404


def test_the_file_summary_shows_what_the_verifier_recorded_above_the_form(visitor, db):
    _application_id, task_id = _verified(visitor, db)
    tree = page(visitor("kadis").get(f"/tasks/{task_id}"))
    [summary] = tree.cssselect(".work-form .file-summary")
    [step] = summary.cssselect("article.recorded")
    assert step.get("data-element-id") == "Task_Verify"
    text = " ".join(step.text_content().split())
    assert "Verifikasi Berkas Izin Penelitian" in text and "vera" in text and "Setujui" in text
    assert "Catatan verifikasi" in text and "Berkas lengkap" in text and "Proposal penelitian" in text
    layout = [e.get("class") for e in tree.cssselect(".work-form .file-summary, .work-form form[data-form]")]
    assert layout == ["file-summary", "form"], "the summary comes before the form"


def test_returning_the_draft_shows_the_verifier_the_heads_note(visitor, db):
    application_id, task_id = _verified(visitor, db)
    kadis = visitor("kadis")
    refused = kadis.post(f"/tasks/{task_id}", {"_decision": "Kembalikan ke verifikator"})
    assert refused.status_code == 422, "returning needs a note"
    assert kadis.post(f"/tasks/{task_id}", {"_decision": "Kembalikan ke verifikator",
                                            "note": "Lokasi pada draf harus Kabupaten Maros"}).status_code == 302
    again = open_task_id(db, application_id, "Task_Verify")
    tree = page(visitor("vera").get(f"/tasks/{again}"))
    [head] = [a for a in tree.cssselect(".file-summary article.recorded") if a.get("data-element-id") == "Task_Sign"]
    assert "Lokasi pada draf harus Kabupaten Maros" in head.text_content()
    assert "Kembalikan ke verifikator" in head.text_content()


def test_a_wrong_bsre_passphrase_keeps_the_step_open_with_the_reason_and_keeps_nothing_typed(
        db, ctx, bsre, ca, people):
    from api import create_app
    from tests.web.conftest import Visitor

    bsre_ctx = EngineContext(settings=dataclasses.replace(ctx.settings, bsre_url=bsre.url), clock=ctx.clock)
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret"}, context=bsre_ctx, session_factory=db.factory)

    def visitor(username):
        person = Visitor(app.test_client())
        person.sign_in(username)
        return person

    application_id, task_id = _verified(visitor, db)
    kadis = visitor("kadis")
    tree = page(kadis.get(f"/tasks/{task_id}"))
    assert tree.cssselect("input[name=signer_nik]") and tree.cssselect("input[type=password][name=signer_passphrase]")
    assert not tree.cssselect("form[data-draft-url]"), "a page that asks for the passphrase keeps no form draft"

    wrong = kadis.post(f"/tasks/{task_id}", {"_decision": "Tandatangani", "signer_nik": NIK,
                                             "signer_passphrase": "salah-ketik-99"})
    assert wrong.status_code == 422
    assert "Passphrase anda salah" in text_of(wrong) and "salah-ketik-99" not in wrong.get_data(as_text=True)
    assert open_task_id(db, application_id, "Task_Sign") == task_id
    later = page(kadis.get(f"/tasks/{task_id}"))
    assert "Passphrase anda salah" in later.cssselect(".signing-failed")[0].text_content()
    number = later.cssselect(".draft-letter h2 .muted")[0].text_content().strip("· ")

    signed = kadis.post(f"/tasks/{task_id}", {"_decision": "Tandatangani", "signer_nik": NIK,
                                              "signer_passphrase": PASSPHRASE})
    assert signed.status_code == 302
    with db.transaction() as session:
        letter = session.get(IssuedLetter, application_id)
        pdf, permit_number = letter.pdf, letter.permit_number
        events = list(session.scalars(select(Event).where(Event.instance_id == application_id)))
        drafts = list(session.scalars(select(FormDraft)))
    assert permit_number == number and ca.validate(pdf).bottom_line
    kept = b"".join(orjson.dumps(e.data) for e in events) + b"".join(orjson.dumps(d.fields) for d in drafts)
    assert PASSPHRASE.encode() not in kept and b"salah-ketik-99" not in kept and NIK.encode() not in kept
