"""Nobody loses work (issue 18), in a real browser (Debian's Chromium driven by Playwright) against a real server:

- an applicant on a phone fills half the research permit form and uploads a document, loses the connection, and the
  page warns before it is left with something unsaved; on a laptop (another browser, nothing shared but the
  account) the form comes back with every saved field and the document, and says so;
- a rejected applicant sees the officer's reason at the top of the page, before the satisfaction survey;
- forgot password: the link is read from the mail the local SMTP server received, opened, a new password set, and
  the applicant signs in with it.
"""

from __future__ import annotations

import re
import time

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import expect

from engine.storage.db import transaction
from engine.storage.models import FormDraft, Task, User
from tests.people import PNG, add_people
from tests.scheduler.conftest import Mailbox, free_port
from tests.web import live
from tests.web.conftest import PEOPLE, Visitor, research_form, vessel_form
from tests.web.live import SHOTS
from tests.web.test_browser import DESK, PHONE, Tour, pdf, sign_in

NEW_PASSWORD = "layar-terkembang-di-selat-makassar"
# Whether the page would ask before it is left: the beforeunload handlers' answer, without a real dialog.
LEAVING = """() => { const event = new Event('beforeunload', {cancelable: true}); window.dispatchEvent(event);
                     return event.defaultPrevented; }"""


@pytest.fixture(scope="module")
def mailbox():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory, mailbox):
    with live.product(tmp_path_factory.mktemp("no-lost-work"), smtp_host="127.0.0.1",
                      smtp_port=mailbox[1]) as lincah:
        with lincah.transaction() as session:
            live.deploy_services(session, lincah.ctx)
            add_people(session, {**{name: PEOPLE[name] for name in ("andi", "budi", "vera", "sinta")},
                                 "citra": (["applicant"], [], [], "Citra Dewi"),
                                 "dewi": (["applicant"], [], [], "Dewi Lestari")})
            session.query(User).filter_by(username="budi").one().email = "budi@example.com"
        app = lincah.app("browser-test")
        with live.serve(app) as base:
            yield {"base": base, "factory": lincah.factory, "app": app}


def _open(browser, server, **options):
    return live.window(browser, server["base"], **options)


def test_a_lost_connection_loses_nothing_and_another_browser_finds_it_all(server, browser):
    phone_context, phone, errors = _open(browser, server, **PHONE)
    sign_in(phone, "andi")
    phone.goto("/services/research_permit/apply")
    phone.fill("#f-research_title", "Kajian mangrove pesisir Sinjai")
    phone.fill("#f-nik", "7371010101010001")
    phone.fill("#f-research_method", "Survei lapangan dan wawancara")
    phone.set_input_files("#f-proposal", files=[pdf("proposal-mangrove.pdf")])
    expect(phone.locator("#f-proposal-current")).to_contain_text("proposal-mangrove.pdf")
    status = phone.locator("[data-draft-status]")
    expect(status).to_have_attribute("data-state", "saved")
    expect(status).to_contain_text("Draf tersimpan")

    phone_context.set_offline(True)
    phone.fill("#f-location_detail", "Kecamatan Sinjai Timur")
    phone.locator("#f-location_detail").blur()
    expect(status).to_have_attribute("data-state", "offline")
    expect(status).to_contain_text("tidak ada koneksi")
    assert phone.evaluate(LEAVING), "leaving with unsaved typing asks first"
    phone_context.close()
    assert not errors

    laptop_context, laptop, errors = _open(browser, server, **DESK)
    sign_in(laptop, "andi")
    laptop.goto("/services/research_permit/apply")
    expect(laptop.locator("#draft-restored")).to_be_visible()
    expect(laptop.locator("#f-research_title")).to_have_value("Kajian mangrove pesisir Sinjai")
    expect(laptop.locator("#f-nik")).to_have_value("7371010101010001")
    expect(laptop.locator("#f-research_method")).to_have_value("Survei lapangan dan wawancara")
    expect(laptop.locator("#f-proposal-current")).to_contain_text("proposal-mangrove.pdf")
    SHOTS.mkdir(parents=True, exist_ok=True)
    laptop.screenshot(path=str(SHOTS / "draft-restored.png"))
    Tour(server["base"]).accessible(laptop, "restored draft")
    with laptop.expect_popup() as opened:
        laptop.click("#f-proposal-current a")
    assert opened.value.url.split("/files/")[1], "the restored document opens"
    assert not laptop.evaluate(LEAVING), "nothing typed yet on the laptop: leaving asks nothing"
    laptop.fill("#f-location_detail", "Kecamatan Sinjai Timur")
    expect(laptop.locator("[data-draft-status]")).to_have_attribute("data-state", "saved")
    assert not laptop.evaluate(LEAVING), "saved: nothing to lose"
    laptop.goto("/applications")
    expect(laptop.locator("h1")).to_be_visible()
    laptop_context.close()
    assert not errors
    with transaction(server["factory"]) as session:
        assert [d.owner for d in session.query(FormDraft)] == ["andi"]


def test_a_page_closed_right_after_typing_still_sends_what_was_typed(server, browser):
    context, phone, errors = _open(browser, server, **PHONE)
    sign_in(phone, "dewi")
    phone.goto("/services/research_permit/apply")
    phone.click("#f-research_title")
    phone.keyboard.type("Ekologi padang lamun")
    assert phone.evaluate(LEAVING), "typed a moment ago: not saved yet"
    dialogs: list[str] = []

    def leave(dialog):
        dialogs.append(dialog.type)
        dialog.accept()

    phone.on("dialog", leave)
    with phone.expect_event("close"):
        phone.close(run_before_unload=True)
    assert dialogs == ["beforeunload"], "leaving with unsaved typing asks first"
    context.close()
    assert not errors

    laptop_context, laptop, errors = _open(browser, server, **DESK)
    sign_in(laptop, "dewi")
    laptop.goto("/services/research_permit/apply")
    expect(laptop.locator("#f-research_title")).to_have_value("Ekologi padang lamun")
    laptop_context.close()


def test_typing_after_the_session_ended_comes_back_after_signing_in_again(server, browser):
    context, phone, errors = _open(browser, server, **PHONE)
    sign_in(phone, "citra")
    phone.goto("/services/research_permit/apply")
    phone.fill("#f-research_title", "Terumbu karang Spermonde")
    status = phone.locator("[data-draft-status]")
    expect(status).to_have_attribute("data-state", "saved")
    context.clear_cookies()  # the session ends (expired, or signed out elsewhere)
    phone.fill("#f-nik", "7371010101010009")
    phone.locator("#f-nik").blur()
    expect(status).to_have_attribute("data-state", "signed-out")
    expect(status).to_contain_text("sesi Anda telah berakhir")
    sign_in(phone, "citra")
    phone.goto("/services/research_permit/apply")
    expect(phone.locator("#f-nik")).to_have_value("7371010101010009")
    expect(phone.locator("#f-research_title")).to_have_value("Terumbu karang Spermonde")
    expect(phone.locator("#draft-restored")).to_be_visible()
    phone.click("[data-draft-discard]")
    expect(phone.locator("#draft-restored")).to_have_count(0)
    expect(phone.locator("#f-nik")).to_have_value("")
    context.close()
    assert not errors


def test_a_rejected_applicant_sees_the_reason_before_the_survey(server, browser):
    app = server["app"]
    budi = Visitor(app.test_client())
    budi.sign_in("budi")
    application_id = int(budi.post("/services/research_permit/apply", research_form())
                         .headers["Location"].rsplit("/", 1)[1])
    with transaction(server["factory"]) as session:
        task_id = session.query(Task.id).filter_by(instance_id=application_id, element_id="Task_Verify").scalar()
    vera = Visitor(app.test_client())
    vera.sign_in("vera")
    assert vera.post(f"/tasks/{task_id}", {"_decision": "Tolak", "note": "Lokasi bukan kewenangan provinsi; "
                                                                          "ajukan ke DPM-PTSP Kabupaten Sinjai."}
                     ).status_code == 302
    context, phone, errors = _open(browser, server, **PHONE)
    sign_in(phone, "budi")
    phone.goto(f"/applications/{application_id}")
    reason = phone.locator("#office-reason")
    expect(reason).to_be_in_viewport()
    expect(reason).to_contain_text("ajukan ke DPM-PTSP Kabupaten Sinjai")
    survey = phone.locator("#survey")
    expect(survey).to_be_attached()
    assert reason.bounding_box()["y"] < survey.bounding_box()["y"], "the reason first, the survey after"
    phone.screenshot(path=str(SHOTS / "reason-first-phone.png"))
    Tour(server["base"]).accessible(phone, "reason first")
    phone.goto("/notifications")
    expect(phone.locator("main")).to_contain_text("ajukan ke DPM-PTSP Kabupaten Sinjai")
    context.close()
    assert not errors


def test_forgot_password_from_the_mail_to_signing_in(server, browser, mailbox):
    box, _port = mailbox
    context, phone, errors = _open(browser, server, **PHONE)
    phone.goto("/signin")
    phone.click("#forgot-password")
    phone.fill("#f-email", "budi@example.com")
    phone.click("form[data-form] button.primary")
    expect(phone.locator("#reset-sent")).to_be_visible()
    phone.screenshot(path=str(SHOTS / "forgot-password-phone.png"))
    Tour(server["base"]).accessible(phone, "forgot password")
    for _ in range(200):
        if box.received:
            break
        time.sleep(0.05)
    (message,) = box.messages()
    link = re.search(r"http://127\.0\.0\.1:\d+(/reset-password/\S+)", message.get_content()).group(1)
    phone.goto(link)
    phone.fill("#f-password", "budi1234")
    phone.click("form[data-form] button.primary")
    expect(phone.locator("#f-password-error")).to_be_visible()
    Tour(server["base"]).accessible(phone, "new password refused")
    phone.fill("#f-password", NEW_PASSWORD)
    phone.click("form[data-form] button.primary")
    expect(phone.locator(".flash")).to_contain_text("kata sandi")
    sign_in(phone, "budi", NEW_PASSWORD)
    phone.goto(link)
    expect(phone.locator(".notice.error")).to_contain_text("kedaluwarsa")
    context.close()
    assert not errors


def test_an_officers_half_done_inspection_keeps_its_photos_for_the_next_browser(server, browser):
    app = server["app"]
    andi = Visitor(app.test_client())
    andi.sign_in("andi")
    application_id = int(andi.post("/services/fishing_vessel_permit/apply", vessel_form("sinjai"))
                         .headers["Location"].rsplit("/", 1)[1])
    sinta = Visitor(app.test_client())
    sinta.sign_in("sinta")
    with transaction(server["factory"]) as session:
        recommend = session.query(Task.id).filter_by(instance_id=application_id, element_id="Task_Recommend").scalar()
    sinta.post(f"/tasks/{recommend}", {"_decision": "Rekomendasikan", "recommendation_number": "523/045/DKP-SJ/2026"})
    with transaction(server["factory"]) as session:
        inspect = session.query(Task.id).filter_by(instance_id=application_id, element_id="Task_Inspect").scalar()

    context, desk, errors = _open(browser, server, **DESK)
    sign_in(desk, "sinta")
    desk.goto(f"/tasks/{inspect}")
    desk.fill("#f-findings", "Lambung retak ringan di buritan")
    photos = [{"name": f"foto-{n}.png", "mimeType": "image/png", "buffer": PNG} for n in (1, 2)]
    desk.set_input_files("#f-photos", files=photos)
    expect(desk.locator("#f-photos-field ul.file-list li")).to_have_count(2)
    expect(desk.locator("[data-draft-status]")).to_have_attribute("data-state", "saved")
    context.close()
    assert not errors

    context, other, errors = _open(browser, server, **DESK)
    sign_in(other, "sinta")
    other.goto(f"/tasks/{inspect}")
    expect(other.locator("#draft-restored")).to_be_visible()
    expect(other.locator("#f-findings")).to_have_value("Lambung retak ringan di buritan")
    expect(other.locator("#f-photos-field ul.file-list li")).to_have_count(2)
    expect(other.locator("#f-photos-field ul.file-list")).to_contain_text("foto-2.png")
    context.close()
    assert not errors
