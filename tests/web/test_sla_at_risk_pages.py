"""At risk on the pages is read off the clock (engine.sla.risk): crossing the at-risk instant with the test clock, and
running no SLA pass, turns the step at risk in the officer's inbox (badge, queue count, the at-risk queue) and in
the manager's dashboard. The research permit's verification (PT4H from Tue 2 June 09:00 WITA) is at risk at 12:00.
"""

from __future__ import annotations

import pytest

from tests.drive import wita
from tests.web.conftest import apply, open_task_id, page
from tests.web.studio_support import studio_people  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("deployed", "people", "studio_people")


def _inbox(visitor, query: str = "") -> dict:
    tree = page(visitor.get(f"/inbox{query}"))
    queues = {link.cssselect("span")[0].text_content(): int(link.cssselect(".count")[0].text_content())
              for link in tree.cssselect("nav.queues a") if link.cssselect(".count")}
    badges = [b.text_content() for b in tree.cssselect("table .badge .sla-state")]
    return {"at risk queue": queues.get("Hampir jatuh tempo"), "badges": badges}


def _dashboard_at_risk(visitor) -> str:
    tree = page(visitor.get("/manager"))
    (row,) = [r for r in tree.cssselect("table[data-table=steps] tbody tr")
              if (r.get("data-service"), r.get("data-step")) == ("research_permit", "Task_Verify")]
    return row.get("data-at-risk")


def test_the_inbox_and_the_dashboard_show_at_risk_once_the_instant_passes(visitor, db, clock):
    application = apply(visitor("andi"))
    assert open_task_id(db, application, "Task_Verify")
    vera, mira = visitor("vera"), visitor("mira")

    clock.set(wita(2026, 6, 2, 11, 59))
    assert _inbox(vera) == {"at risk queue": 0, "badges": ["Sesuai jadwal"]}
    assert _inbox(vera, "?sla=at_risk")["badges"] == []
    assert _dashboard_at_risk(mira) == "0"

    clock.set(wita(2026, 6, 2, 12, 0))  # no SLA pass runs
    assert _inbox(vera) == {"at risk queue": 1, "badges": ["Hampir jatuh tempo"]}
    assert _inbox(vera, "?sla=at_risk")["badges"] == ["Hampir jatuh tempo"]
    assert _dashboard_at_risk(mira) == "1"
