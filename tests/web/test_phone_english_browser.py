"""Issue 18 in a real browser (Debian's Chromium, Playwright): an applicant on a phone-sized screen sees a long
text count down as they type and paste, with nothing cut; the registration number wraps between its parts; and an
officer who chose English reads the step and the decision buttons in English, the buttons still deciding with the
engine's Indonesian choice. The English task page is saved to docs/screenshots/task-english.png for the README.

Runs on its own SQLite server like the other browser tests; needs /usr/bin/chromium.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import samples
from tests.drive import open_rows, start
from tests.people import PASSWORD, add_people
from tests.web.studio_support import live_server, shot

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)

PHONE = {"viewport": {"width": 360, "height": 780}, "locale": "id-ID", "is_mobile": True, "has_touch": True}
DESK = {"viewport": {"width": 1280, "height": 900}, "locale": "en-GB"}


def _sign_in(browser, server, username: str, **options):
    context = browser.new_context(base_url=server.base, **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/signin")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form button[type=submit]:not([disabled])")
    page.wait_for_url(lambda url: "/signin" not in url)
    return page, errors


def test_a_phone_counts_a_long_text_down_and_wraps_the_registration_number(tmp_path, database, browser):
    with live_server(tmp_path) as server:
        application = start(server, server.ctx, "research_permit", samples.research_application())
        page, errors = _sign_in(browser, server, "andi", **PHONE)
        page.goto("/services/research_permit/apply")
        expect(page.locator("input[name=phone]")).to_have_attribute("inputmode", "tel")
        method = page.locator("textarea[name=research_method]")
        counter = page.locator("#f-research_method-count")
        expect(counter).to_have_text("Sisa 2.000 karakter")
        method.fill("Wawancara")
        method.press_sequentially(" nelayan")
        expect(counter).to_have_text("Sisa 1.983 karakter")
        pasted = "x" * 2010
        method.fill(pasted)
        method.press_sequentially("y")
        expect(counter).to_have_text("Kelebihan 11 karakter")
        assert len(method.input_value()) == 2011, "the browser cut nothing that was pasted"
        expect(counter).to_have_class("char-counter over")

        page.goto(f"/applications/{application}")
        number = page.locator("dd .regno")
        assert "/IP/" in number.inner_text()
        box = number.bounding_box()
        assert box["x"] + box["width"] <= 360, "the number stays on the screen"
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        # Narrower than the whole number (a longer office code, a larger font): it must wrap between its parts.
        number.evaluate("e => { e.style.display = 'inline-block'; e.style.width = '16ch'; }")
        breaks = page.evaluate("""() => {
            const tops = [];
            const walker = document.createTreeWalker(document.querySelector('dd .regno'), NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                for (let i = 0; i < node.length; i++) {
                    const range = document.createRange();
                    range.setStart(node, i);
                    range.setEnd(node, i + 1);
                    tops.push([node.data[i], Math.round(range.getBoundingClientRect().top)]);
                }
            }
            return tops.flatMap((t, i) => i > 0 && t[1] > tops[i - 1][1] + 2 ? [tops[i - 1][0]] : []);
        }""")
        assert breaks and set(breaks) == {"/"}, f"the number wraps only after a slash, not mid-part: {breaks}"
        assert number.inner_text().replace("\n", "") == number.inner_text(), "copying gives the number as written"
        assert errors == []


def test_an_officer_reads_the_task_page_in_english_and_decides_with_the_engines_choice(tmp_path, database, browser):
    with live_server(tmp_path) as server:
        with server.transaction() as session:
            add_people(session, {"vera": (["officer"], ["verifier"], ["*"], "Vera Verifikator")})
        application = start(server, server.ctx, "research_permit", samples.research_application())
        (task,) = open_rows(server, application)
        page, errors = _sign_in(browser, server, "vera", **DESK)
        page.goto("/lang/en")
        page.goto("/inbox")
        expect(page.locator(f"#row-{task.id} td").nth(1)).to_have_text("Verify documents")
        page.goto(f"/tasks/{task.id}")
        expect(page.locator("h1")).to_contain_text("Verify documents")
        buttons = page.locator("button[name=_decision]")
        expect(buttons).to_have_text(["Approve", "Return for revision", "Reject"])
        shot(page, "task-english.png")
        for document in samples.CHECKLIST:
            page.check(f"input[name=checklist][value={document}]")
        page.click("button[name=_decision][value=Setujui]")
        page.wait_for_url(lambda url: f"/tasks/{task.id}" not in url)
        (signing,) = open_rows(server, application)
        assert signing.element_id == "Task_Sign", "the English button decided with the engine's choice"
        assert errors == []
