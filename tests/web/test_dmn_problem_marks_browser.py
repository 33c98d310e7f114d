"""A table the server refuses, in a real browser (Chromium, Playwright): the table editor marks each problem where
it is — the rule's row tinted, the cell outlined — and the problem's "show in the table" button brings that cell
into view. Runs on its own SQLite server like test_dmn_modeler_browser.py; needs ``make web``."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from engine.services import decisions
from tests.web.studio_support import live_server, open_page

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)

CELL = 'td[data-row-id="Rule_small"][data-col-id="Input_area"]'
OTHER_CELL = 'td[data-row-id="Rule_large"][data-col-id="Input_area"]'


def test_the_cell_the_server_refuses_is_marked_in_the_table(tmp_path, database, browser):
    errors: list[str] = []
    with live_server(tmp_path) as server:
        page = open_page(browser, server, "ana", errors)
        page.goto("/analyst/dmn-modeler")
        expect(page.locator("body[data-table-opened=true]")).to_have_count(1)
        page.locator(f"{CELL} [contenteditable]").click()
        page.keyboard.press("Control+A")
        page.keyboard.type("< kira-kira 100 (")
        page.locator("h1").click()
        page.click("#deploy")
        expect(page.locator("#modeler-status.status-error")).to_have_count(1)
        problem = page.locator("#problems li.problem-error")
        expect(problem).to_have_count(1)
        expect(problem).to_have_attribute("data-element-id", "Rule_small")
        expect(problem).to_have_attribute("data-cell-id", "UnaryTests_small")

        def look(selector: str) -> dict:
            return page.locator(selector).evaluate(
                "cell => ({outline: getComputedStyle(cell).outlineStyle, "
                "tinted: getComputedStyle(cell).backgroundColor !== "
                "getComputedStyle(document.querySelector('#dmn-canvas td:last-child')).backgroundColor})")

        assert look(CELL)["outline"] == "solid"
        assert look(OTHER_CELL)["outline"] != "solid"
        problem.locator("button.show-in-table").click()
        expect(problem.locator("button.show-in-table")).to_have_text("Tunjukkan di tabel")
        expect(page.locator(CELL)).to_be_in_viewport()
        # put right and deployed, the marks go
        page.locator(f"{CELL} [contenteditable]").click()
        page.keyboard.press("Control+A")
        page.keyboard.type("< 100")
        page.locator("h1").click()
        page.click("#deploy")
        expect(page.locator("#modeler-status.status-success")).to_have_count(1)
        assert look(CELL)["outline"] != "solid"
        with server.transaction() as session:
            assert [row.version for row in decisions.versions(session, "fee")] == [1]
    assert errors == []
