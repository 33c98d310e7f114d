"""End to end in a real browser (Debian's Chromium driven by Playwright) against a real server on a free port.

The story of one research permit: an applicant registers on a phone-sized screen, applies with documents (a
mistake first: the errors appear next to the fields and nothing typed or uploaded is lost), the verifier of the
provincial office finds the file in the inbox, claims it and returns it with a note, the applicant revises, the
verifier approves, the head of office signs, and the applicant sees the permit issued (*terbit*). A verifier of
another regency never sees the file. On every page visited the language switch works, axe-core finds no serious
or critical accessibility problem, and the main pages are saved as screenshots in docs/screenshots/.

Needs ``make web`` (bpmn-js, htmx and axe-core from npm) and /usr/bin/chromium (``.ci/run`` installs it).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from engine.reporting import satisfaction
from engine.storage.db import transaction
from engine.storage.models import Task
from tests.people import PASSWORD, PDF, add_people
from tests.web import live
from tests.web.conftest import PEOPLE
from tests.web.live import AXE, SHOTS

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "id-ID"}
DESK = {"viewport": {"width": 1366, "height": 900}, "locale": "id-ID"}
STAFF = {username: PEOPLE[username] for username in ("vera", "verbone", "kadis", "admin")}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The product on its own SQLite database, served by a threaded werkzeug server on a free port."""
    # A clock that stands still (live.product's default): the pages (and so the screenshots in docs/) come out the
    # same on every run.
    with live.product(tmp_path_factory.mktemp("browser")) as lincah:
        with lincah.transaction() as session:
            live.deploy_services(session, lincah.ctx)
            add_people(session, STAFF)
        with live.serve(lincah.app("browser-test")) as base:
            yield {"base": base, "factory": lincah.factory}


class Tour:
    """Checks every page a person visits: language switch, accessibility, and (for the main pages) a screenshot."""

    def __init__(self, base: str):
        self.base = base
        self.script_errors: list[str] = []
        SHOTS.mkdir(parents=True, exist_ok=True)

    def open(self, browser, **options) -> Page:
        context = browser.new_context(base_url=self.base, **options)
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.on("pageerror", lambda error: self.script_errors.append(f"{page.url}: {error}"))
        return page

    def switch_language(self, page: Page) -> None:
        path = urlsplit(page.url).path
        page.click("a[hreflang=en]")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        assert urlsplit(page.url).path == path, f"the switch left {path}"
        english = page.locator("nav.main-nav").inner_text()
        page.click("a[hreflang=id]")
        expect(page.locator("html")).to_have_attribute("lang", "id")
        assert urlsplit(page.url).path == path
        assert page.locator("nav.main-nav").inner_text() != english, "the menu did not change language"

    def accessible(self, page: Page, name: str) -> None:
        # run through DevTools, not as an inline <script> tag, which the pages' Content-Security-Policy refuses
        page.evaluate(AXE.read_text(encoding="utf-8"))
        violations = page.evaluate("""async () => {
            const result = await axe.run(document, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
            return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`);
        }""")
        assert not violations, f"{name}: {violations}"

    def look(self, page: Page, name: str | None = None, *, switch: bool = True) -> None:
        """Every page: the language switch (GET pages) and axe; main pages (named) also a screenshot."""
        page.wait_for_load_state("load")
        if page.locator("[data-bpmn-url]").count():
            expect(page.locator("[data-bpmn-url]").first).to_have_attribute("data-rendered", "true")
        if switch:
            self.switch_language(page)
            if page.locator("[data-bpmn-url]").count():
                expect(page.locator("[data-bpmn-url]").first).to_have_attribute("data-rendered", "true")
        self.accessible(page, name or page.url)
        width = page.viewport_size["width"]
        if width < 500:
            assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{page.url} scrolls sideways"
        if name:
            page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, username: str, password: str = PASSWORD, *, keyboard: bool = False) -> None:
    page.goto("/signin")
    if keyboard:  # as someone without a mouse: Tab to each field, Enter to send
        page.locator("body").focus()
        for _ in range(30):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "f-username":
                break
        page.keyboard.type(username)
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "f-password"
        page.keyboard.type(password)
        page.keyboard.press("Enter")
    else:
        page.fill("#f-username", username)
        page.fill("#f-password", password)
        page.click("form[data-form] button.primary")
    expect(page.locator("nav.main-nav .who")).to_be_visible()


def pdf(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF}


def task_of(server, registration_no: str, element_id: str) -> str:
    from engine.storage.models import Instance

    with transaction(server["factory"]) as session:
        return session.query(Task.id).join(Instance, Instance.id == Task.instance_id).filter(
            Instance.registration_no == registration_no, Task.element_id == element_id).order_by(
            Task.created_at.desc()).first()[0]


def test_a_research_permit_from_a_phone_to_issued_across_offices(server, browser):
    tour = Tour(server["base"])
    phone = tour.open(browser, **PHONE)

    # The public catalogue and the service standard with its diagram.
    phone.goto("/")
    tour.look(phone, "catalogue-phone")
    phone.click("text=Izin Penelitian >> nth=0")
    expect(phone.locator("h1")).to_have_text("Izin Penelitian")
    tour.look(phone, "service-phone")

    # Apply: sign-in first, then register as a new applicant, and come back to the form.
    phone.click("text=Ajukan sekarang")
    expect(phone.locator(".flash")).to_contain_text("Masuk untuk melanjutkan")
    tour.look(phone, "signin-phone")
    phone.click("text=Buat akun pemohon")
    tour.look(phone, "register-phone")
    phone.fill("#f-full_name", "Nur Aisyah")
    phone.fill("#f-email", "nur@example.ac.id")
    phone.fill("#f-username", "nur.aisyah")
    phone.fill("#f-password", "kata-sandi-kuat")
    phone.click("text=Buat akun >> nth=-1")
    expect(phone.locator("h1")).to_have_text("Ajukan: Izin Penelitian")
    tour.look(phone)

    # A first attempt with a wrong NIK and no declaration: errors in place, typing and documents kept.
    phone.check("#f-applicant_category-1")
    phone.fill("#f-applicant_name", "Nur Aisyah")
    phone.fill("#f-nik", "12345")
    phone.fill("#f-email", "nur@example.ac.id")
    phone.fill("#f-phone", "081234567890")
    phone.fill("#f-institution", "Universitas Hasanuddin")
    phone.fill("#f-student_id", "H071211002")
    phone.fill("#f-research_title", "Kajian padang lamun Pulau Sembilan")
    phone.fill("#f-research_purpose", "Penyusunan skripsi sarjana kelautan")
    phone.fill("#f-research_method", "Transek kuadrat dan wawancara nelayan")
    phone.select_option("#f-location_regency", "sinjai")
    phone.fill("#f-location_detail", "Dinas Perikanan Kabupaten Sinjai")
    phone.fill("#f-start_date", "2026-07-01")
    phone.fill("#f-end_date", "2026-08-31")
    for field in ("application_letter", "campus_recommendation", "proposal", "ktp", "statement_letter"):
        phone.set_input_files(f"#f-{field}", files=[pdf(f"{field}.pdf")])
    for field in ("application_letter", "campus_recommendation", "proposal", "ktp", "statement_letter"):
        # each document is uploaded as soon as it is chosen; the form keeps only its reference
        expect(phone.locator(f"#f-{field}-current")).to_contain_text(f"{field}.pdf")
        expect(phone.locator(f"#f-{field}")).to_have_value("")
    phone.click("text=Kirim permohonan")
    expect(phone.locator("#error-summary")).to_be_focused()
    expect(phone.locator("#f-nik-error")).to_contain_text("Formatnya tidak sesuai")
    expect(phone.locator("#f-declaration-error")).to_contain_text("Centang kotak ini")
    expect(phone.locator("#f-institution")).to_have_value("Universitas Hasanuddin")
    expect(phone.locator("#f-proposal-current")).to_contain_text("proposal.pdf")
    tour.look(phone, "apply-errors-phone", switch=False)
    phone.fill("#f-nik", "7371014101010002")
    phone.check("#f-declaration")
    phone.click("text=Kirim permohonan")
    expect(phone.locator(".flash")).to_contain_text("Permohonan Anda terkirim")
    registration_no = phone.locator(".regno").inner_text()
    assert re.fullmatch(r"DPMPTSP-SULSEL/IP/\d{4}/\d{5}", registration_no), "the service code, not its key"
    expect(phone.locator(".badge").first).to_have_text("Diproses")
    tour.look(phone, "application-phone")

    # A verifier of another regency never sees it: not in the inbox, not by search, not by address.
    elsewhere = tour.open(browser, **DESK)
    sign_in(elsewhere, "verbone")
    expect(elsewhere.locator("h1")).to_have_text("Kotak masuk")
    expect(elsewhere.locator("table.inbox")).to_have_count(0)
    elsewhere.fill("#inbox-q", registration_no)
    elsewhere.click("text=Saring")
    expect(elsewhere.locator(".queue .empty")).to_be_visible()
    tour.look(elsewhere)
    elsewhere.goto(f"/tasks/{task_of(server, registration_no, 'Task_Verify')}")
    expect(elsewhere.locator("h1")).to_have_text("Tidak ditemukan")
    assert registration_no not in elsewhere.content()
    tour.look(elsewhere)

    # The provincial verifier finds it, claims it, reads the documents and returns it with a note.
    desk = tour.open(browser, **DESK)
    sign_in(desk, "vera")
    expect(desk.locator("h1")).to_have_text("Kotak masuk")
    desk.fill("#inbox-q", registration_no[-5:])  # htmx filters as the officer types, and keeps the address
    expect(desk).to_have_url(re.compile(rf"/inbox\?.*q={registration_no[-5:]}"))
    expect(desk.locator("table.inbox tbody tr")).to_have_count(1)
    expect(desk.locator("table.inbox .badge")).to_contain_text(re.compile("Sesuai jadwal|Hampir|Terlambat"))
    desk.goto("/inbox")
    tour.look(desk, "inbox-desktop")
    desk.click(f"#row-{task_of(server, registration_no, 'Task_Verify')} button:has-text('Klaim')")
    expect(desk.locator(".flash")).to_contain_text("Anda mengklaim")
    desk.click(f"text={registration_no}")
    expect(desk.locator(".djs-element.current")).to_have_count(1)
    tour.look(desk, "task-desktop")
    with desk.context.expect_page() as opened:
        desk.click(".summary a:has-text('proposal.pdf')")
    document = opened.value
    document.wait_for_load_state()
    fetched = desk.context.request.get(document.url)
    assert fetched.status == 200 and fetched.headers["content-type"] == "application/pdf"
    document.close()
    desk.fill("#f-note", "Surat rekomendasi kampus belum ditandatangani dekan.")
    desk.click("button[name=_decision]:has-text('Kembalikan untuk perbaikan')")
    expect(desk.locator(".flash")).to_contain_text("Antrean Anda kosong")

    # The applicant sees the request, reads the note and revises with a new document.
    phone.goto("/applications")
    expect(phone.locator(".badge").first).to_have_text("Perlu perbaikan")
    tour.look(phone, "applications-phone")
    phone.click("text=Perbaiki sekarang")
    expect(phone.locator(".officer-message")).to_contain_text("belum ditandatangani dekan")
    tour.look(phone, "revise-phone")
    phone.fill("#f-response_note", "Surat rekomendasi sudah ditandatangani dekan.")
    phone.set_input_files("#f-campus_recommendation", files=[pdf("rekomendasi-bertanda-tangan.pdf")])
    phone.click("text=Kirim perbaikan")
    expect(phone.locator(".flash")).to_contain_text("Perbaikan Anda telah dikirim")
    expect(phone.locator(".badge").first).to_have_text("Diproses")
    phone.goto("/notifications")
    expect(phone.locator(".notification").first).to_contain_text(f"Permohonan {registration_no} perlu diperbaiki")
    expect(phone.locator(".notification").last).to_contain_text(f"Permohonan {registration_no} diterima")
    tour.look(phone, "notifications-phone")

    # The verifier approves the revised file; the head of office signs.
    desk.goto("/inbox")
    desk.click(f"text={registration_no}")
    expect(desk.locator(".work-file .summary")).to_contain_text("rekomendasi-bertanda-tangan.pdf")
    tour.look(desk)
    for box in desk.locator("input[name=checklist]").all():  # approving needs every document ticked
        box.check()
    desk.click("button[name=_decision]:has-text('Setujui')")
    expect(desk.locator(".flash")).to_contain_text("selesai")
    head = tour.open(browser, **DESK)
    sign_in(head, "kadis", keyboard=True)
    head.click(f"text={registration_no}")
    expect(head.locator("h1")).to_contain_text("Tanda tangan izin")
    tour.look(head)
    head.click("button[name=_decision]:has-text('Tandatangani')")
    expect(head.locator(".flash")).to_contain_text("selesai")

    # The applicant sees the permit issued, with its number.
    phone.goto("/applications")
    phone.click(f"text={registration_no}")
    expect(phone.locator(".badge").first).to_have_text("Terbit")
    expect(phone.locator(".permit")).to_contain_text("/IP/DPM-PTSP/")
    tour.look(phone, "issued-phone")

    # The letter is there to download, and the applicant rates the service (the satisfaction survey).
    expect(phone.locator("a[href$='/permit.pdf']")).to_be_visible()
    for code in satisfaction.CODES:
        phone.check(f"#survey input[name={code}][value='4']")
    phone.click("#survey button[type=submit]")
    expect(phone.locator(".flash")).to_contain_text("Terima kasih")
    expect(phone.locator("#survey form")).to_have_count(0)
    tour.look(phone)

    # The administrator's pages.
    admin = tour.open(browser, **DESK)
    sign_in(admin, "admin")
    admin.goto("/admin/users")
    tour.look(admin, "admin-users-desktop")
    admin.click("text=nur.aisyah")
    expect(admin.locator("input[name=roles][value=applicant]")).to_be_checked()
    tour.look(admin)
    admin.goto("/admin/organisation")
    tour.look(admin)
    admin.goto("/manager/satisfaction")
    expect(admin.locator("tr[data-service=research_permit] .ikm")).to_have_text("100,00")  # Indonesian decimal comma
    tour.look(admin, "manager-satisfaction-desktop")

    assert not tour.script_errors, tour.script_errors
