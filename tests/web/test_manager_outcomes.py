"""The manager's dashboard and a service's page say how files ended — issued, rejected, withdrawn, each with its own
count within SLA — and show the time files waited for their applicant apart from the office's time, in numbers
written the page's way."""

from __future__ import annotations

import pytest

from engine.casework import applications
from tests import samples
from tests.drive import start, step, wita
from tests.engine.conftest import APPLICANT, HEAD, VERIFIER
from tests.web.conftest import page
from tests.web.studio_support import studio_people  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("deployed", "studio_people")


@pytest.fixture
def history(db, ctx, clock):
    """Tue 2 June: A1 issued in 2 h; A2 returned at 12:00, revised Thu 10:00 (14 office hours with the applicant),
    rejected at 11:00; A3 withdrawn."""
    clock.set(wita(2026, 6, 2, 9, 0))
    a1, a2, a3 = (start(db, ctx, "research_permit", samples.research_application()) for _ in range(3))
    for (day, hour), instance_id, element_id, actor, data, decision in (
            ((2, 10), a1, "Task_Verify", VERIFIER, samples.VERIFIED, "Setujui"),
            ((2, 11), a1, "Task_Sign", HEAD, samples.SIGNATURE, samples.SIGN),
            ((2, 12), a2, "Task_Verify", VERIFIER, {"note": "Lengkapi dokumen"}, "Kembalikan untuk perbaikan"),
            ((4, 10), a2, "Task_Revise", APPLICANT, samples.REVISION, None),
            ((4, 11), a2, "Task_Verify", VERIFIER, {"note": "Tidak memenuhi syarat"}, "Tolak")):
        clock.set(wita(2026, 6, day, hour, 0))
        step(db, ctx, instance_id, element_id, actor, data, decision)
    with db.transaction() as session:
        applications.cancel(session, ctx, a3, APPLICANT, "Salah jenis izin")


def test_the_dashboard_splits_issued_rejected_and_withdrawn_and_shows_the_applicants_time(visitor, history):
    mira = visitor("mira")
    tree = page(mira.get("/manager?month=2026-06"))
    (row,) = tree.cssselect('table[data-table=outcomes] tr[data-service="research_permit"]')
    assert (row.get("data-issued"), row.get("data-rejected"), row.get("data-withdrawn")) == ("1", "1", "1")
    assert row.cssselect(".issued-within")[0].text_content() == "1/1"
    assert row.cssselect(".rejected-within")[0].text_content() == "1/1"
    assert row.cssselect(".held-time")[0].text_content().split("(")[0].strip() == "14,00 jam"
    # office time of the two ended files (2 h and 4 h) is the median of them, not counting the 14 h wait
    assert row.cssselect(".office-time")[0].text_content() == "3,00 jam"

    english = page(mira.english().get("/manager?month=2026-06"))
    (row,) = english.cssselect('table[data-table=outcomes] tr[data-service="research_permit"]')
    assert row.cssselect(".held-time")[0].text_content().split("(")[0].strip() == "14.00 h"


def test_a_service_page_lists_each_steps_decisions_and_the_applicants_step(visitor, history):
    tree = page(visitor("mira").get("/manager/services/research_permit?month=2026-06"))
    steps = {r.get("data-step"): r for r in tree.cssselect("table[data-table=step-outcomes] tbody tr")}
    verify = steps["Task_Verify"]
    assert (verify.get("data-approved"), verify.get("data-returned"), verify.get("data-rejected")) == ("1", "1", "1")
    assert "applicant-step" in steps["Task_Revise"].get("class")
    assert steps["Task_Revise"].cssselect(".held-time")[0].text_content() == "14,00 jam"
    assert list(steps) == ["Task_Verify", "Task_Revise", "Task_Sign"]
