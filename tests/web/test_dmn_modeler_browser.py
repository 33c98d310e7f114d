"""The table editor in a real browser (Debian's Chromium, Playwright): an analyst opens a deployed decision table
in dmn-js, changes a cell, deploys, and the decision called by its key answers with the new rule — on the try-out
page too, where the rule that matched is highlighted.

Runs on its own SQLite server like test_modeler_browser.py; needs ``make web`` and /usr/bin/chromium.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from engine.bpmn.compiler import SourceFile
from engine.services import decisions
from tests.conftest import PROJECT_ROOT
from tests.web.studio_support import live_server, open_page, shot
from tests.web.test_content_security_policy_browser import REPORTED, _watch

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)

# The starter table: fee 0 under 100 m², 250000 from 100 m².
FEES = (PROJECT_ROOT / "api" / "web" / "templates" / "web" / "analyst" / "dmn" / "blank.dmn").read_bytes()


def _fee(server, area: int):
    with server.transaction() as session:
        return decisions.evaluate_latest(session, "fee", {"area": area})


def test_an_analyst_edits_a_cell_deploys_and_the_decision_answers_differently(tmp_path, database, browser):
    errors: list[str] = []
    with live_server(tmp_path) as server:
        with server.transaction() as session:
            decisions.deploy(session, server.ctx, [SourceFile("fee.dmn", FEES)], actor="ana")
        assert _fee(server, 150) == [{"fee": 250000}]
        page = open_page(browser, server, "ana", errors)
        violations: list[str] = []
        _watch(page, violations)  # the editor works under the pages' Content-Security-Policy, nothing blocked
        page.goto("/analyst/dmn-modeler?key=fee&version=1")
        expect(page.locator("body[data-table-opened=true]")).to_have_count(1)
        cell = page.locator('td[data-row-id="Rule_large"][data-col-id="Output_fee"] [contenteditable]')
        expect(cell).to_have_text("250000")
        # dmn-js's own words come from the catalogue: the page is in Indonesian
        expect(page.locator("#dmn-canvas .hit-policy")).to_contain_text("Kebijakan kecocokan")
        expect(page.locator("#dmn-canvas th.input-cell").first).to_contain_text("Jika")
        shot(page, "analyst-table-editor.png")
        cell.click()
        page.keyboard.press("Control+A")
        page.keyboard.type("300000")
        page.locator("h1").click()  # leave the cell, as a person does before pressing a button
        expect(page.locator("body[data-unsaved-changes=true]")).to_have_count(1)
        page.click("#deploy")
        expect(page.locator("#deployed-info a")).to_have_text("fee v2")
        expect(page.locator("#modeler-status.status-success")).to_have_count(1)
        assert _fee(server, 150) == [{"fee": 300000}]
        assert _fee(server, 50) == [{"fee": 0}]
        assert violations + page.evaluate(REPORTED) == []

        page.click("#deployed-info a")
        page.fill("input[name=area]", "150")
        page.click("form.decision-try button[type=submit]")
        expect(page.locator("table.decision-result")).to_contain_text("300000")
        expect(page.locator("table.decision-table tr.rule-matched")).to_have_attribute("data-rule-id", "Rule_large")
        shot(page, "analyst-decision-try.png")
    assert errors == []


def test_a_table_the_server_refuses_comes_back_with_located_problems(tmp_path, database, browser):
    errors: list[str] = []
    with live_server(tmp_path) as server:
        page = open_page(browser, server, "ana", errors)
        page.goto("/analyst/dmn-modeler")
        expect(page.locator("body[data-table-opened=true]")).to_have_count(1)
        cell = page.locator('td[data-row-id="Rule_small"][data-col-id="Input_area"] [contenteditable]')
        cell.click()
        page.keyboard.press("Control+A")
        page.keyboard.type("< kira-kira 100 (")
        page.locator("h1").click()
        page.click("#deploy")
        expect(page.locator("#modeler-status.status-error")).to_have_count(1)
        problem = page.locator("#problems li.problem-error").first
        expect(problem).to_contain_text("fee")
        with server.transaction() as session:
            assert decisions.versions(session, "fee") == []
    assert errors == []
