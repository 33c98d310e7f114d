"""The applicant's pages on a phone in a real browser (Debian's Chromium, Playwright): a document over its size limit
is refused on the page before anything is sent, and a long unbroken note wraps inside the timeline.

Runs on its own SQLite server like the other browser tests; needs /usr/bin/chromium.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from tests import samples
from tests.drive import open_rows, start, step
from tests.engine.conftest import VERIFIER
from tests.people import PASSWORD, PDF
from tests.web.conftest import research_form
from tests.web.studio_support import live_server

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)

PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "id-ID", "is_mobile": True, "has_touch": True}
MB = 1024 * 1024
LONG_NOTE = "Lampirkan-" + "x" * 290  # 300 characters without a space, as a pasted reference or link comes


@contextmanager
def phone(tmp_path, browser, username: str = "andi"):
    """A phone signed in as ``username``, and the server (with both services deployed) behind it."""
    with live_server(tmp_path) as server:
        context = browser.new_context(base_url=server.base, **PHONE)
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.goto("/signin")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("form.form button[type=submit]:not([disabled])")
        page.wait_for_url(lambda url: "/signin" not in url)
        yield page, server


def returned_for_revision(server, note: str = "Surat permohonan belum ditandatangani.") -> int:
    """Andi's research permit application, sent back to him by the verifier with ``note``."""
    application = start(server, server.ctx, "research_permit", samples.research_application())
    step(server, server.ctx, application, "Task_Verify", VERIFIER, {"note": note}, "Kembalikan untuk perbaikan")
    return application


def pdf(name: str, size: int) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF + b"0" * (size - len(PDF))}


def test_an_oversized_document_blocks_sending_the_application_until_it_is_replaced(tmp_path, database, browser):
    with phone(tmp_path, browser) as (page, _server):
        page.goto("/services/research_permit/apply")
        letter = page.locator("#f-application_letter")
        expect(page.locator("#f-application_letter-size-limit")).to_have_text("Paling besar 5 MB.")
        for name, value in research_form().items():
            if isinstance(value, str) and page.locator(f'input[type=text][name="{name}"]').count():
                page.fill(f'input[type=text][name="{name}"]', value)
        send = page.locator(".actions button[type=submit]")
        page.set_input_files("#f-proposal", files=[pdf("proposal.pdf", 200_000)])

        page.set_input_files("#f-application_letter", files=[pdf("surat-permohonan.pdf", 6 * MB)])
        error = page.locator("#f-application_letter-size-error")
        expect(error).to_contain_text("“surat-permohonan.pdf” (6 MB) lebih besar dari batas 5 MB")
        expect(letter).to_have_attribute("aria-invalid", "true")
        expect(send).to_be_disabled()
        expect(page.locator(".size-block-note")).to_be_visible()
        page.locator("input[name=applicant_name]").press("Enter")  # implicit submission is stopped as well
        page.wait_for_timeout(500)
        assert page.url.endswith("/services/research_permit/apply") and error.is_visible()
        expect(page.locator("#f-proposal-current")).to_be_visible()  # the other document is still chosen

        page.set_input_files("#f-application_letter", files=[pdf("surat-permohonan.pdf", 300_000)])
        expect(error).to_have_count(0)
        expect(send).to_be_enabled()
        expect(page.locator(".size-block-note")).to_have_count(0)
        assert page.errors == []


def test_a_task_form_with_documents_blocks_an_oversized_file_too(tmp_path, database, browser):
    with phone(tmp_path, browser) as (page, server):
        application = returned_for_revision(server)
        (task,) = open_rows(server, application)
        page.goto(f"/tasks/{task.id}")
        inputs = page.locator("form.form input[type=file][data-max-size]")
        assert inputs.count() > 0
        first = inputs.first
        limit = int(first.get_attribute("data-max-size"))
        first.set_input_files(files=[pdf("perbaikan.pdf", limit + MB)])
        expect(page.locator(".size-warning").first).to_contain_text("lebih besar dari batas")
        for button in page.locator("form.form .actions button[type=submit]").all():
            expect(button).to_be_disabled()


def page_width(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def test_a_long_unbroken_note_wraps_inside_the_phone_timeline_and_the_task(tmp_path, database, browser):
    with phone(tmp_path, browser) as (page, server):
        application = returned_for_revision(server, LONG_NOTE)
        page.goto(f"/applications/{application}")
        note = page.locator(".timeline .officer-note")
        expect(note).to_have_text(LONG_NOTE)
        assert page_width(page) <= 390, f"the page is {page_width(page)} px wide on a 390 px phone"
        assert note.bounding_box()["x"] + note.bounding_box()["width"] <= 390

        (task,) = open_rows(server, application)
        page.goto(f"/tasks/{task.id}")
        expect(page.locator(".officer-note")).to_have_text(LONG_NOTE)
        assert page_width(page) <= 390, f"the task page is {page_width(page)} px wide on a 390 px phone"


def test_a_refused_upload_is_announced_and_tied_to_its_field_for_screen_readers(tmp_path, database, browser):
    with phone(tmp_path, browser) as (page, _server):
        page.goto("/services/research_permit/apply")
        letter = page.locator("#f-application_letter")
        # Bytes that are no PDF, under a .pdf name: the server refuses the upload by what the file is.
        letter.set_input_files(files=[{"name": "surat.pdf", "mimeType": "application/pdf", "buffer": b"MZ" * 100}])
        note = page.locator("#f-application_letter-upload-error")
        expect(note).to_be_visible()
        expect(note).to_have_attribute("role", "alert")
        expect(letter).to_have_attribute("aria-invalid", "true")
        assert "f-application_letter-upload-error" in letter.get_attribute("aria-describedby").split()
        letter.set_input_files(files=[pdf("surat.pdf", 50_000)])
        expect(note).to_have_count(0)
        expect(letter).not_to_have_attribute("aria-invalid", "true")
        assert "f-application_letter-upload-error" not in (letter.get_attribute("aria-describedby") or "").split()
        assert page.errors == []
