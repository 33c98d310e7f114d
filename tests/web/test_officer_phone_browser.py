"""An officer of a regency office on a phone, in a real browser (Debian's Chromium, Playwright): the inbox and the
task page fit a 390-pixel screen, so the phone does not zoom the whole page out to a table's width.

Runs on its own SQLite server like the other browser tests; needs /usr/bin/chromium.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import samples
from tests.drive import open_rows, start
from tests.people import PASSWORD, add_people
from tests.web.studio_support import live_server

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)

PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "id-ID", "is_mobile": True, "has_touch": True}


def sideways(page) -> int:
    """How far the page is wider than the phone's screen (0 when it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - 390")


def test_the_inbox_and_the_task_page_fit_a_phone(tmp_path, database, browser):
    with live_server(tmp_path) as server:
        with server.transaction() as session:
            add_people(session, {"sinta": (["officer"], ["regency_fisheries"], ["sinjai"], "Sinta Sinjai")})
        application = start(server, server.ctx, "fishing_vessel_permit", samples.vessel_application("sinjai"))
        (task,) = open_rows(server, application)
        context = browser.new_context(base_url=server.base, **PHONE)
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.goto("/signin")
        page.fill("input[name=username]", "sinta")
        page.fill("input[name=password]", PASSWORD)
        page.click("form.form button[type=submit]:not([disabled])")
        expect(page.locator("h1")).to_have_text("Kotak masuk")

        expect(page.locator(f"#row-{task.id}")).to_have_count(1)
        assert page.evaluate("window.innerWidth") == 390, "the phone zoomed the inbox out"
        assert sideways(page) <= 0
        table = page.locator(".table-wrap").first
        assert table.evaluate("e => e.scrollWidth > e.clientWidth"), "the wide table scrolls inside its frame"

        page.goto(f"/tasks/{task.id}")
        expect(page.locator(".badge.sla-on_track")).to_be_visible()
        assert page.evaluate("window.innerWidth") == 390, "the phone zoomed the task page out"
        assert sideways(page) <= 0
