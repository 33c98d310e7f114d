"""The manager in a real browser (Debian's Chromium, Playwright): the dashboard over a known history (built with the
engine and a frozen clock) shows the SLA report's figures, the weekly trend chart draws, and the heatmap colours the
slow step of the research permit (verification: 1 of 3 within SLA) and labels each step with its median."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from playwright.sync_api import expect

from engine.people.access import Actor
from engine.reporting import reports
from engine.reporting.reports import ReportQuery
from tests.drive import WITA
from tests.web.studio_support import live_server, open_page, seed_history, shot

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)
BOSS = Actor.of("mira", ["manager"], [], ["*"])


def test_a_manager_sees_the_reports_figures_the_trend_and_the_heatmap_of_the_slow_step(tmp_path, database, browser):
    errors: list[str] = []
    with live_server(tmp_path) as server:
        seed_history(server, server.ctx, server.clock)
        with server.transaction() as session:
            report = reports.sla_report(session, server.ctx, BOSS, ReportQuery(
                date_from=datetime(2026, 6, 1, tzinfo=WITA), date_to=datetime(2026, 7, 1, tzinfo=WITA)))
        (research,) = [row for row in report.files if row.service == "research_permit"]
        (verify,) = [row for row in report.steps if row.step == "Task_Verify"]
        page = open_page(browser, server, "mira", errors)
        page.get_by_role("link", name="Dasbor SLA").click()
        expect(page.locator("body[data-chart-ready=true]")).to_have_count(1)
        tile = page.locator('.kpi[data-service="research_permit"]')
        expect(tile.locator(".kpi-value")).to_have_text("66,7%")
        assert research.figures.share_within_sla == pytest.approx(2 / 3)
        expect(tile).to_have_class("kpi heat-poor")
        row = page.locator('table[data-table=steps] tr[data-step="Task_Verify"]')
        expect(row).to_have_attribute("data-share", f"{verify.figures.share_within_sla * 100:.1f}")
        expect(row).to_contain_text("5,00 jam")
        assert page.evaluate("window.lincahTrend.data.datasets.find(d => d.label === 'Izin Penelitian')"
                             ".data.at(-1)") == 66.7
        shot(page, "manager-dashboard.png")

        page.click('table[data-table=services] a:has-text("Izin Penelitian")')
        expect(page.locator("body[data-heatmap-ready=true]")).to_have_count(1)
        expect(page.locator('g.djs-element.heat-poor[data-element-id="Task_Verify"]')).to_have_count(1)
        expect(page.locator('g.djs-element.heat-good[data-element-id="Task_Sign"]')).to_have_count(1)
        expect(page.locator('.heat-label[data-element-id="Task_Verify"]')).to_have_text("5,00 jam · 33,3%")
        fill = page.evaluate("""getComputedStyle(document.querySelector(
            'g.djs-element[data-element-id="Task_Verify"] .djs-visual > rect')).fill""")
        assert fill == "rgb(240, 138, 130)", "the slow step is drawn red"
        shot(page, "manager-heatmap.png")

        page.get_by_role("link", name="Berkas terlambat").click()  # keeps the service chosen
        expect(page.locator("table.overdue tbody tr")).to_have_count(1)
        expect(page.locator("table.overdue tbody tr")).to_contain_text("Verifikasi berkas")
        shot(page, "manager-overdue.png")
        page.locator("table.overdue a.regno").first.click()
        expect(page).to_have_url(re.compile(r"/applications/\d+$"))
    assert errors == []
