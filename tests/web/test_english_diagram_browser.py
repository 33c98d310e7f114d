"""Issue 18 in a real browser (Debian's Chromium, Playwright): the diagram drawn on the service page reads in English
on the English page — the viewer writes the elements' ``name.en`` over the names of its copy of the diagram — and in
Indonesian on the Indonesian page, from the same stored diagram.

Runs on its own SQLite server like the other browser tests; needs /usr/bin/chromium.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web.studio_support import live_server

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)

# The words of an element's label as bpmn-js draws them (one <tspan> per wrapped line): inside its shape, or, for
# events and flows, in the separate label shape bpmn-js draws beside it.
LABEL = """id => {
    const shape = document.querySelector(`.diagram-canvas [data-element-id="${id}_label"]`)
        || document.querySelector(`.diagram-canvas [data-element-id="${id}"]`);
    return shape ? Array.from(shape.querySelectorAll('text tspan'), t => t.textContent.trim()).join(' ') : null;
}"""


def _drawn(page, path: str) -> None:
    page.goto(path)
    expect(page.locator(".diagram-canvas")).to_have_attribute("data-rendered", "true")


def test_the_english_service_page_draws_the_diagram_with_english_labels(tmp_path, database, browser):
    with live_server(tmp_path) as server:
        context = browser.new_context(base_url=server.base, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        _drawn(page, "/services/research_permit")
        assert page.evaluate(LABEL, "Task_Verify") == "Verifikasi berkas"
        page.goto("/lang/en")
        _drawn(page, "/services/research_permit")
        assert page.evaluate(LABEL, "Task_Verify") == "Verify documents"
        assert page.evaluate(LABEL, "Flow_Approve") == "Approve"
        assert page.evaluate(LABEL, "EndEvent_Issued") == "Research permit issued"
        assert page.evaluate(LABEL, "Lane_Head") == "Head of office"
        assert page.evaluate(LABEL, "Participant_ResearchPermit").startswith("Research Permit")
        drawn = page.locator(".diagram-canvas svg[data-element-id]").text_content()
        assert "Verifikasi" not in drawn and "Tanda tangan" not in drawn and "Izin Penelitian" not in drawn
        stored = page.request.get(page.locator(".diagram-canvas").get_attribute("data-bpmn-url")).text()
        assert 'name="Verifikasi berkas"' in stored, "the diagram served is the stored one, unchanged"
        assert errors == []
