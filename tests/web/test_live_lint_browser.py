"""Lint while drawing, in a real browser (Debian's Chromium): an imported diagram is checked without deploying and
its problem shows on its element; fixing it clears the problem, also without deploying; the page's title follows the
diagram, not the template it started from."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from engine.services import definitions
from tests.web.studio_support import live_server, open_page
from tests.web.test_analyst import survey_permit

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


def test_problems_show_while_drawing_and_clear_when_fixed_without_deploying(tmp_path, database, browser):
    errors: list[str] = []
    with live_server(tmp_path) as server:
        page = open_page(browser, server, "ana", errors)
        page.goto("/analyst/modeler?template=approval")
        expect(page.locator("body[data-modeler-ready=true]")).to_have_count(1)
        broken = survey_permit(bad_form=True).encode()
        page.set_input_files("#import-file", files=[
            {"name": "survey_permit.bpmn", "mimeType": "application/xml", "buffer": broken}])
        problem = page.locator('#problems li.problem-error[data-element-id="Task_Verify"]')
        expect(problem).to_have_count(1)
        expect(page.locator("#live-lint")).to_have_attribute("data-errors", "1")
        expect(page.locator('g.djs-element.lincah-problem-error[data-element-id="Task_Verify"]')).to_have_count(1)
        expect(page.locator("#modeler-title")).to_have_text("Izin Penelitian")
        assert "Izin Penelitian" in page.title()

        # Fixed (here by importing the corrected file): the problem goes without a deploy.
        fixed = survey_permit().encode()
        page.set_input_files("#import-file", files=[
            {"name": "survey_permit.bpmn", "mimeType": "application/xml", "buffer": fixed}])
        expect(page.locator("#live-lint")).to_have_attribute("data-errors", "0")
        expect(problem).to_have_count(0)
        with server.transaction() as session:
            assert definitions.versions(session, "survey_permit") == []  # nothing was deployed
    assert errors == []
