"""The front office's walk-in intake in a real browser (Debian's Chromium, Playwright): the clerk opens the walk-in
applicant's account, applies for them with their documents, and gets the printable receipt with its QR code.

Runs on its own SQLite server like the other browser tests; needs /usr/bin/chromium.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from engine.storage.models import Event, Instance
from tests.people import PDF, add_people
from tests.web.studio_support import live_server, open_page, shot

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)

DESK = {"viewport": {"width": 1280, "height": 900}, "locale": "id-ID"}  # the scanning visitor's window
NIK = "7371015505900003"
DOCUMENTS = ("application_letter", "campus_recommendation", "proposal", "ktp", "statement_letter")


def test_the_clerk_takes_a_walk_in_application_and_prints_the_receipt(tmp_path, database, browser):
    with live_server(tmp_path, usernames=()) as server:
        with server.transaction() as session:
            add_people(session, {"loket": (["officer"], ["front_office"], ["sulsel"], "Petugas Loket")})
        errors: list[str] = []
        desk = open_page(browser, server, "loket", errors)
        desk.click("nav.main-nav >> text=Loket")
        expect(desk.locator("h1")).to_have_text("Layanan loket")
        desk.fill("#c-nik", NIK)
        desk.fill("#c-full_name", "Hasnah Daeng Ngai")
        desk.fill("#c-phone", "081234567891")
        desk.click("button[value=open]")
        expect(desk.locator(".counter-applicant")).to_contain_text("Hasnah Daeng Ngai")
        desk.click(".counter-applicant a[href*='research_permit']")
        expect(desk.locator("#f-applicant")).to_have_value(NIK)

        desk.check("#f-applicant_category-1")
        desk.fill("#f-applicant_name", "Hasnah Daeng Ngai")
        desk.fill("#f-nik", NIK)
        desk.fill("#f-email", "hasnah@example.ac.id")
        desk.fill("#f-phone", "081234567891")
        desk.fill("#f-institution", "Universitas Negeri Makassar")
        desk.fill("#f-student_id", "210101001")
        desk.fill("#f-research_title", "Kajian tambak udang Pangkep")
        desk.fill("#f-research_purpose", "Penyusunan skripsi sarjana")
        desk.fill("#f-research_method", "Survei dan wawancara petambak")
        desk.select_option("#f-location_regency", "sinjai")
        desk.fill("#f-location_detail", "Kecamatan Sinjai Utara")
        desk.fill("#f-start_date", "2026-07-01")
        desk.fill("#f-end_date", "2026-08-31")
        for field in DOCUMENTS:
            desk.set_input_files(f"#f-{field}", files=[{"name": f"{field}.pdf", "mimeType": "application/pdf",
                                                        "buffer": PDF}])
        for field in DOCUMENTS:
            expect(desk.locator(f"#f-{field}-current")).to_contain_text(f"{field}.pdf")
        desk.check("#f-declaration")
        desk.click("text=Kirim permohonan")

        expect(desk.locator("h1")).to_have_text("Tanda terima permohonan")
        with server.transaction() as session:
            instance = session.query(Instance).one()
            event = session.query(Event).filter_by(kind="submitted_at_counter").one()
            assert (instance.applicant, event.data["submitted_by"]) == (NIK, "loket")
        expect(desk.locator(".receipt-regno")).to_have_text(instance.registration_no)
        expect(desk.locator(".receipt-service")).to_have_text("Izin Penelitian")
        expect(desk.locator(".receipt-documents li")).to_have_count(len(DOCUMENTS))
        expect(desk.locator(".qr svg")).to_be_visible()
        shot(desk, "counter-receipt.png")
        # Printed, the receipt is the sheet alone: the menu and the buttons stay on the screen.
        desk.emulate_media(media="print")
        expect(desk.locator("nav.main-nav")).to_be_hidden()
        expect(desk.locator("[data-print]")).to_be_hidden()
        expect(desk.locator(".receipt")).to_be_visible()
        desk.emulate_media(media="screen")

        # The QR code's address opens the public tracking page, for anyone.
        address = desk.locator(".tracking-address").inner_text()
        visitor = browser.new_context(**DESK).new_page()
        visitor.goto(address)
        expect(visitor.locator("h1")).to_have_text("Status permohonan")
        expect(visitor.locator(".regno")).to_have_text(instance.registration_no)
        assert errors == []
