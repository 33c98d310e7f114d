"""The signing step in a real browser (Debian's Chromium driven by Playwright) against a real server that signs
through a fake BSrE on 127.0.0.1 (it signs for real, with a test CA): the head of office reads the draft letter
beside the file summary and returns it to the verifier with a note, and the verifier sees that note above the
form; then the head signs — a mistyped passphrase first (the step stays open, the reason is shown), then the right
one — and the stored letter's signature validates against the test CA. The signing page is saved as a screenshot
in docs/screenshots/.

Needs /usr/bin/chromium (``.ci/run`` installs it).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from engine.casework import applications, tasks
from engine.storage.db import transaction
from engine.storage.models import IssuedLetter, Task
from tests import samples
from tests.engine.conftest import APPLICANT, VERIFIER, open_task_rows
from tests.letters import set_up_letterhead, text_of_pdf
from tests.people import add_people
from tests.signing_fixtures import FakeBsre, SigningCA
from tests.web import live
from tests.web.conftest import PEOPLE
from tests.web.live import SHOTS
from tests.web.test_browser import sign_in

DESK = {"viewport": {"width": 1366, "height": 900}, "locale": "id-ID"}
NIK = "7371010101800001"
PASSPHRASE = "sandi-bsre-kadis-01"


@pytest.fixture(scope="module")
def ca() -> SigningCA:
    return SigningCA.create()


@pytest.fixture(scope="module")
def server(tmp_path_factory, ca):
    bsre = FakeBsre(ca)
    bsre.enrol(NIK, PASSPHRASE, "Kadis")
    bsre.start()
    with live.product(tmp_path_factory.mktemp("signing"), bsre_url=bsre.url) as lincah:
        with lincah.transaction() as session:
            live.deploy_services(session, lincah.ctx, ("research_permit",))
            add_people(session, PEOPLE)
            set_up_letterhead(session)
        with live.serve(lincah.app("signing-test")) as base:
            yield {"base": base, "factory": lincah.factory, "ctx": lincah.ctx}
    bsre.stop()


def _at_signing(server) -> tuple[int, str]:
    with transaction(server["factory"]) as session:
        iid = applications.start(session, server["ctx"], service="research_permit", actor=APPLICANT,
                                 data=samples.research_application()).id
        (verify,) = [t for t in open_task_rows(session, iid) if t.element_id == "Task_Verify"]
        tasks.complete(session, server["ctx"], verify.id, VERIFIER,
                       {**samples.VERIFIED, "note": "Semua dokumen lengkap dan sah"}, decision="Setujui")
        (sign,) = [t.id for t in open_task_rows(session, iid) if t.element_id == "Task_Sign"]
        return iid, sign


def _open_task(server, iid: int, element_id: str) -> str:
    with transaction(server["factory"]) as session:
        (task_id,) = [t.id for t in open_task_rows(session, iid) if t.element_id == element_id]
        return task_id


def test_the_head_reads_the_draft_and_returns_it_and_the_verifier_sees_the_note(server, browser):
    iid, task_id = _at_signing(server)
    head = browser.new_context(base_url=server["base"], **DESK).new_page()
    sign_in(head, "kadis")
    head.goto(f"/tasks/{task_id}")
    expect(head.locator(".file-summary")).to_contain_text("Semua dokumen lengkap dan sah")
    frame = head.locator(".draft-letter iframe")
    expect(frame).to_be_visible()
    draft = head.request.get(frame.get_attribute("src"))
    assert draft.ok and draft.headers["content-type"] == "application/pdf"
    assert "DRAF" in text_of_pdf(draft.body()) and samples.research_application()["research_title"] in \
        text_of_pdf(draft.body())
    expect(head.locator("button[name=_decision]")).to_have_text(["Tandatangani", "Kembalikan ke verifikator", "Tolak"])

    head.fill("#f-note", "Judul penelitian pada draf terpotong; mohon periksa kembali")
    head.click("button[name=_decision]:has-text('Kembalikan ke verifikator')")
    expect(head.locator(".flash")).to_contain_text("selesai")

    verifier = browser.new_context(base_url=server["base"], **DESK).new_page()
    sign_in(verifier, "vera")
    verifier.goto(f"/tasks/{_open_task(server, iid, 'Task_Verify')}")
    returned = verifier.locator(".file-summary article[data-element-id=Task_Sign]")
    expect(returned).to_contain_text("Kembalikan ke verifikator")
    expect(returned).to_contain_text("Judul penelitian pada draf terpotong; mohon periksa kembali")
    with transaction(server["factory"]) as session:
        assert session.get(IssuedLetter, iid) is None


def test_signing_with_bsre_a_wrong_passphrase_first(server, browser, ca):
    iid, task_id = _at_signing(server)
    head = browser.new_context(base_url=server["base"], **DESK).new_page()
    sign_in(head, "kadis")
    head.goto(f"/tasks/{task_id}")
    head.fill("#f-signer_nik", NIK)
    head.fill("#f-signer_passphrase", "salah-ketik")
    head.click("button[name=_decision]:has-text('Tandatangani')")
    expect(head.locator(".signing-failed")).to_contain_text("Passphrase anda salah")
    expect(head.locator(".signing-failed")).to_contain_text("BSrE menolak menandatangani")
    expect(head.locator("#f-signer_passphrase")).to_have_value("")
    number = head.locator(".draft-letter h2 .muted").inner_text().strip("· ")
    assert number.startswith("503/") and _open_task(server, iid, "Task_Sign") == task_id
    SHOTS.mkdir(parents=True, exist_ok=True)
    head.screenshot(path=str(SHOTS / "signing-step.png"), full_page=True)

    head.fill("#f-signer_nik", NIK)
    head.fill("#f-signer_passphrase", PASSPHRASE)
    head.click("button[name=_decision]:has-text('Tandatangani')")
    expect(head.locator(".flash")).to_contain_text("selesai")
    with transaction(server["factory"]) as session:
        letter = session.get(IssuedLetter, iid)
        pdf, permit_number = letter.pdf, letter.permit_number
        assert session.get(Task, task_id).decision == "Tandatangani"
    assert permit_number == number
    status = ca.validate(pdf)
    assert status.bottom_line and status.signing_cert.subject.native["common_name"] == "Kadis"
    assert permit_number in text_of_pdf(pdf) and "DRAF" not in text_of_pdf(pdf)
