"""The manager's trend chart in a real browser (Debian's Chromium, Playwright): the first and the last week are
drawn whole, also when a single week has data (the last one, at the right edge)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web.studio_support import live_server, open_page, seed_history

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


def test_a_single_point_on_the_trend_chart_is_drawn_whole_inside_the_plot(tmp_path, database, browser):
    errors: list[str] = []
    with live_server(tmp_path) as server:
        seed_history(server, server.ctx, server.clock)
        page = open_page(browser, server, "mira", errors)
        page.get_by_role("link", name="Dasbor SLA").click()
        expect(page.locator("body[data-chart-ready=true]")).to_have_count(1)
        geometry = page.evaluate("""() => {
            const chart = window.lincahTrend;
            const points = chart.data.datasets.flatMap((d, i) => chart.getDatasetMeta(i).data
                .filter((p, j) => d.data[j] !== null && d.data[j] !== undefined)
                .map((p) => ({ x: p.x, r: p.options.radius + p.options.borderWidth })));
            return { labels: chart.data.labels.length, left: chart.chartArea.left,
                     right: chart.chartArea.right, points };
        }""")
        assert len(geometry["points"]) == 1, geometry  # one week with completed files: the last one
        for point in geometry["points"]:
            room = min(point["x"] - geometry["left"], geometry["right"] - point["x"])
            assert room >= 4 * point["r"], f"a point at the edge of the plot: {geometry}"
    assert errors == []
