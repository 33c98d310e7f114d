"""The permit-letter editor in a real browser (Debian's Chromium, the site's Content-Security-Policy): the analyst
opens the research permit's letter from the versions page, changes the title, previews — the page drawn by the
letter renderer shows the new title — follows a lint problem to its line, and saves the letter into a new draft."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from engine.services import definitions, letter_templates
from tests.web.studio_support import live_server, open_page, shot

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)

TITLE = "SURAT IZIN PENELITIAN LAPANGAN"


def test_the_analyst_changes_the_title_previews_it_and_saves_it_into_a_draft(tmp_path, database, browser):
    errors: list[str] = []
    with live_server(tmp_path) as server:
        page = open_page(browser, server, "ana", errors)
        # What the site's policy refuses is logged on the console (a 422 for the lint problems below is not).
        page.on("console", lambda message: errors.append(message.text) if "Refused" in message.text else None)
        page.goto("/analyst/services/research_permit")
        page.click("tr[data-version='1'] a.letter-link")
        expect(page.locator("figure.letter-page img")).to_have_count(1)
        expect(page.locator(".numbered-wrap .line-numbers").first).to_contain_text("26")

        template = page.locator("#letter-html")
        original = template.input_value()
        template.fill(original.replace("<h1>{{ permit.title }}</h1>", f"<h1>{TITLE}</h1>"))
        page.click("#letter-preview")
        picture = page.locator("figure.letter-page img").first
        expect(picture).to_have_attribute("alt", _containing(TITLE))
        expect(picture).to_have_attribute("alt", _containing("DRAF"))
        assert picture.evaluate("img => img.complete && img.naturalWidth > 500")  # drawn under the site's CSP
        shot(page, "analyst-letter-editor.png")

        # A misspelt field: listed with its line, nothing drawn; its link puts the cursor on that line.
        template = page.locator("#letter-html")
        with_error = template.input_value().replace("{{ data.research_title }}", "{{ data.research_titel }}")
        template.fill(with_error)
        page.click("#letter-preview")
        problem = page.locator("ul.letter-problems li[data-code=letter_unknown_field]")
        expect(problem).to_contain_text("research_titel")
        expect(page.locator("figure.letter-page")).to_have_count(0)
        line = int(problem.get_attribute("data-line"))
        problem.locator("a.letter-line").click()
        selected = page.locator("#letter-html").evaluate(
            "area => area.value.slice(area.selectionStart, area.selectionEnd)")
        assert selected == with_error.split("\n")[line - 1]

        template = page.locator("#letter-html")
        template.fill(with_error.replace("research_titel", "research_title"))
        page.click("#letter-save")
        expect(page.locator(".flash-success")).to_contain_text("versi 2")
        expect(page.locator("figure.letter-page img").first).to_have_attribute("alt", _containing(TITLE))
        with server.transaction() as session:
            running, draft = (definitions.get_version(session, "research_permit", n) for n in (1, 2))
            assert draft.status == "draft" and running.status == "published"
            assert TITLE in letter_templates.stored(session, draft.meta["letter"]["sha256"]).html
            assert TITLE not in letter_templates.stored(session, running.meta["letter"]["sha256"]).html
    assert errors == []


def _containing(text: str):
    return re.compile(re.escape(text))
