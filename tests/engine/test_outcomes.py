"""Issued, rejected and withdrawn files per service and decisions per step, beside the SLA report, over the SLA
report's known history (tests/engine/test_reports.py): A1 and A2 issued, A3 returned once then rejected, and here one
more research file withdrawn by its applicant; the revision wait of A3 is the applicant's time, not the office's."""

from __future__ import annotations

import pytest

from engine.casework import applications
from engine.errors import Forbidden
from engine.people.access import Actor
from engine.reporting import outcomes
from engine.reporting.reports import ReportQuery
from tests import samples
from tests.drive import start, wita
from tests.engine.conftest import APPLICANT
from tests.engine.test_reports import MANAGER, history  # noqa: F401 (the fixture)

H = 3600


@pytest.fixture
def withdrawn(db, ctx, clock, history):  # noqa: F811 (the fixture above)
    clock.set(wita(2026, 6, 4, 11, 15))
    withdrawn = start(db, ctx, "research_permit", samples.research_application())
    with db.transaction() as session:
        applications.cancel(session, ctx, withdrawn, APPLICANT, "Salah jenis izin")
    return withdrawn


def _outcomes(db, ctx, actor=MANAGER, **query) -> outcomes.Outcomes:
    with db.transaction() as session:
        return outcomes.outcomes(session, ctx, actor, ReportQuery(**query))


def test_issued_rejected_and_withdrawn_files_are_counted_apart_with_their_own_sla_share(db, ctx, withdrawn):
    files = {row.service: row for row in _outcomes(db, ctx).files}
    research = files["research_permit"]
    assert (research.issued, research.rejected, research.closed, research.withdrawn, research.ended) == (2, 1, 0, 1, 4)
    # The rejection was within the file's SLA too, but it is not a permit delivered on time: counted on its own.
    assert (research.issued_within_sla, research.issued_with_target) == (2, 2)
    assert (research.rejected_within_sla, research.rejected_with_target) == (1, 1)
    assert "fishing_vessel_permit" not in files  # nothing of it ended


def test_the_time_a_file_waited_for_its_applicant_is_shown_apart_from_the_offices_time(db, ctx, withdrawn):
    research = {row.service: row for row in _outcomes(db, ctx).files}["research_permit"]
    # Office time of the ended files 2 h, 6 h, 4 h; A3 waited Tue 12:00 → Thu 10:00: 4 h + 8 h + 2 h of office hours.
    assert research.office_median_seconds == 4 * H
    assert (research.held_files, research.held_median_seconds, research.held_total_seconds) == (1, 14 * H, 14 * H)


def test_each_steps_decisions_by_meaning_and_the_applicants_own_step(db, ctx, withdrawn):
    steps = {(row.service, row.step): row for row in _outcomes(db, ctx).steps}
    verify = steps["research_permit", "Task_Verify"]
    assert (verify.completed, verify.approved, verify.returned, verify.rejected, verify.other) == (4, 2, 1, 1, 0)
    assert not verify.for_applicant
    revise = steps["research_permit", "Task_Revise"]
    assert revise.for_applicant and revise.completed == 1 and revise.held_median_seconds == 14 * H
    sign = steps["research_permit", "Task_Sign"]
    assert (sign.completed, sign.approved + sign.other) == (2, 2)
    assert [key for key in steps if key[0] == "research_permit"] == [
        ("research_permit", "Task_Verify"), ("research_permit", "Task_Revise"), ("research_permit", "Task_Sign")]


def test_the_period_and_the_office_narrow_the_outcomes_as_they_narrow_the_sla_report(db, ctx, withdrawn):
    tuesday = _outcomes(db, ctx, date_from=wita(2026, 6, 2, 0, 0), date_to=wita(2026, 6, 3, 0, 0))
    (research,) = tuesday.files
    assert (research.issued, research.rejected, research.withdrawn) == (2, 0, 0)
    assert _outcomes(db, ctx, jurisdiction="bone").files == []
    supervisor = Actor.of("supri", ["supervisor"], [], ["bone"])
    assert _outcomes(db, ctx, supervisor).files == []
    with pytest.raises(Forbidden):
        _outcomes(db, ctx, Actor.of("vera", ["officer"], ["verifier"], ["sulsel"]))
    assert _outcomes(db, ctx).as_dict()["files"][0]["ended"] == 4
