"""The SLA report against a known history built with a frozen clock: every figure checked exactly.

History (WITA; office hours 08:00–16:00; research permit: verify PT4H, sign PT2H, file P1D; fishing permit:
recommend P1D, inspect P2D, file P5D):

Tue 2 June 09:00  A1 A2 A3 A4 apply (research, sulsel); B1 (fishing, Sinjai) and B2 (fishing, Bone) apply
          10:00  A1 verified (1 h, met)         11:00  A1 signed (1 h, met) — file done in 2 h
          12:00  A3 returned for revision (3 h, met)
          13:00  B1 recommended (4 h, met) — inspection opens
          14:00  A2 verified (5 h, missed)      15:00  A2 signed (1 h, met) — file done in 6 h
Thu 4 June 08:30  A5 applies
          10:00  A3 revised by the applicant (not an office step) — verification opens again
          11:00  A3 rejected (1 h, met) — file done in 3 h + 1 h = 4 h (the revision wait does not count)
          11:30  the report is taken: A4 verify and B2 recommend breached, A5 verify and B1 inspect at risk
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pytest

from engine.bpmn.compiler import SourceFile
from engine.casework import inbox, tasks
from engine.errors import Forbidden, InvalidInput
from engine.people.access import Actor
from engine.reporting import reports
from engine.reporting.reports import ReportQuery
from engine.services import definitions
from tests import samples
from tests.conftest import PROJECT_ROOT
from tests.drive import open_rows, sla_pass, start, step, wita
from tests.engine.conftest import APPLICANT, HEAD, SINJAI_FISHERIES, SUPERVISOR, VERIFIER

H = 3600
MANAGER = Actor.of("boss", ["manager"], [], ["*"])


@dataclass
class History:
    a4: int
    b2: int


@pytest.fixture
def history(db, ctx, clock, deploy_service) -> History:
    deploy_service("research_permit")
    deploy_service("fishing_vessel_permit")
    research = samples.research_application
    clock.set(wita(2026, 6, 2, 9, 0))
    a1, a2, a3, a4 = (start(db, ctx, "research_permit", research()) for _ in range(4))
    b1 = start(db, ctx, "fishing_vessel_permit", samples.vessel_application("sinjai"))
    b2 = start(db, ctx, "fishing_vessel_permit", samples.vessel_application("bone"))
    (a4_verify,) = open_rows(db, a4)
    with db.transaction() as session:
        tasks.claim(session, ctx, a4_verify.id, VERIFIER)

    def at(day, hour, minute=0):
        clock.set(wita(2026, 6, day, hour, minute))

    at(2, 10)
    step(db, ctx, a1, "Task_Verify", VERIFIER, samples.VERIFIED, "Setujui")
    at(2, 11)
    step(db, ctx, a1, "Task_Sign", HEAD, samples.SIGNATURE, samples.SIGN)
    at(2, 12)
    step(db, ctx, a3, "Task_Verify", VERIFIER, {"note": "Lengkapi dokumen"}, "Kembalikan untuk perbaikan")
    at(2, 13)
    step(db, ctx, b1, "Task_Recommend", SINJAI_FISHERIES, {}, "Rekomendasikan")
    at(2, 14)
    step(db, ctx, a2, "Task_Verify", VERIFIER, samples.VERIFIED, "Setujui")
    at(2, 15)
    step(db, ctx, a2, "Task_Sign", HEAD, samples.SIGNATURE, samples.SIGN)
    at(4, 8, 30)
    start(db, ctx, "research_permit", research())
    at(4, 10)
    step(db, ctx, a3, "Task_Revise", APPLICANT, samples.REVISION)
    at(4, 11)
    step(db, ctx, a3, "Task_Verify", VERIFIER, {"note": "Lengkapi dokumen"}, "Tolak")
    at(4, 11, 30)
    sla_pass(db, ctx)
    return History(a4=a4, b2=b2)


def _report(db, ctx, actor=MANAGER, **query) -> reports.SlaReport:
    with db.transaction() as session:
        return reports.sla_report(session, ctx, actor, ReportQuery(**query))


def _figures(row) -> tuple:
    f = row.figures
    return (f.completed, f.median_seconds, f.p90_seconds, f.within_sla, f.with_target, f.share_within_sla, f.open,
            f.open_at_risk, f.open_breached)


def test_every_figure_per_service_and_step(db, ctx, history):
    report = _report(db, ctx)
    steps = {(r.service, r.step): r for r in report.steps}
    # By service, then in the order a file goes through the steps (recommendation before inspection).
    assert list(steps) == [("fishing_vessel_permit", "Task_Recommend"), ("fishing_vessel_permit", "Task_Inspect"),
                           ("research_permit", "Task_Verify"), ("research_permit", "Task_Sign")]
    verify = steps["research_permit", "Task_Verify"]
    assert (verify.service_name, verify.step_name, verify.sla, verify.jurisdiction) == (
        "Izin Penelitian", "Verifikasi berkas", "PT4H", None)
    # durations 1 h, 5 h, 3 h, 1 h: median between 1 h and 3 h; p90 at rank 2.7 between 3 h and 5 h
    assert _figures(verify) == (4, 2 * H, 15840.0, 3, 4, 0.75, 2, 1, 1)
    assert _figures(steps["research_permit", "Task_Sign"]) == (2, H, H, 2, 2, 1.0, 0, 0, 0)
    assert _figures(steps["fishing_vessel_permit", "Task_Recommend"]) == (1, 4 * H, 4 * H, 1, 1, 1.0, 1, 0, 1)
    assert _figures(steps["fishing_vessel_permit", "Task_Inspect"]) == (0, None, None, 0, 0, None, 1, 1, 0)


def test_whole_file_figures_per_service(db, ctx, history):
    files = {r.service: r for r in _report(db, ctx).files}
    assert files["research_permit"].sla == "P1D"
    # files done in 2 h, 6 h and 4 h (the revision wait excluded)
    assert _figures(files["research_permit"]) == (3, 4 * H, 20160.0, 3, 3, 1.0, 2, 0, 1)
    assert _figures(files["fishing_vessel_permit"]) == (0, None, None, 0, 0, None, 2, 0, 0)


def test_a_draft_does_not_rename_the_service_or_change_its_targets_in_the_report(db, ctx, history):
    """An analyst's draft of the next version (new name, new targets) changes nothing until it is published."""
    source = (PROJECT_ROOT / "processes" / "research_permit.bpmn").read_text()
    draft = (source.replace('value="Izin Penelitian"', 'value="Izin Riset (draf)"')
             .replace('name="sla" value="PT4H"', 'name="sla" value="PT8H"')
             .replace('name="sla" value="P1D"', 'name="sla" value="P3D"'))
    assert draft.count("Izin Riset (draf)") == 1 and "PT8H" in draft and "P3D" in draft
    with db.transaction() as session:
        result = definitions.deploy(session, ctx, SourceFile("research_permit.bpmn", draft.encode()), [],
                                    definitions.form_source(ctx, PROJECT_ROOT / "processes" / "research_permit.bpmn"),
                                    actor="analyst", publish=False)
        assert (result.definition.version, result.definition.status) == (2, "draft")

    def research(report):
        steps = {r.step: r for r in report.steps if r.service == "research_permit"}
        (file,) = [r for r in report.files if r.service == "research_permit"]
        return steps["Task_Verify"].service_name, steps["Task_Verify"].sla, file.service_name, file.sla

    assert research(_report(db, ctx)) == ("Izin Penelitian", "PT4H", "Izin Penelitian", "P1D")
    with db.transaction() as session:
        definitions.publish_version(session, ctx, "research_permit", 2, actor="analyst")
    assert research(_report(db, ctx)) == ("Izin Riset (draf)", "PT8H", "Izin Riset (draf)", "P3D")


def test_the_same_figures_per_office(db, ctx, history):
    report = _report(db, ctx)
    steps = {(r.jurisdiction, r.service, r.step): _figures(r) for r in report.steps_by_jurisdiction}
    assert steps == {
        ("bone", "fishing_vessel_permit", "Task_Recommend"): (0, None, None, 0, 0, None, 1, 0, 1),
        ("sinjai", "fishing_vessel_permit", "Task_Inspect"): (0, None, None, 0, 0, None, 1, 1, 0),
        ("sinjai", "fishing_vessel_permit", "Task_Recommend"): (1, 4 * H, 4 * H, 1, 1, 1.0, 0, 0, 0),
        ("sulsel", "research_permit", "Task_Sign"): (2, H, H, 2, 2, 1.0, 0, 0, 0),
        ("sulsel", "research_permit", "Task_Verify"): (4, 2 * H, 15840.0, 3, 4, 0.75, 2, 1, 1),
    }
    files = {(r.jurisdiction, r.service): _figures(r) for r in report.files_by_jurisdiction}
    assert files == {
        ("bone", "fishing_vessel_permit"): (0, None, None, 0, 0, None, 1, 0, 0),
        ("sinjai", "fishing_vessel_permit"): (0, None, None, 0, 0, None, 1, 0, 0),
        ("sulsel", "research_permit"): (3, 4 * H, 20160.0, 3, 3, 1.0, 2, 0, 1),
    }


def test_open_figures_agree_with_the_inbox(db, ctx, history):
    report = _report(db, ctx, jurisdiction="sulsel")
    with db.transaction() as session:
        everything = inbox.search(session, SUPERVISOR, inbox.InboxQuery(), now=ctx.now()).total
        at_risk = inbox.search(session, SUPERVISOR, inbox.InboxQuery(sla="at_risk"), now=ctx.now()).total
        breached = inbox.search(session, SUPERVISOR, inbox.InboxQuery(sla="breached"), now=ctx.now()).total
    assert (everything, at_risk, breached) == (
        sum(r.figures.open for r in report.steps), sum(r.figures.open_at_risk for r in report.steps),
        sum(r.figures.open_breached for r in report.steps)) == (2, 1, 1)


def test_a_date_range_selects_completions(db, ctx, history):
    report = _report(db, ctx, date_from=wita(2026, 6, 2, 12, 30), date_to=wita(2026, 6, 4, 0, 0))
    steps = {r.step: _figures(r) for r in report.steps if r.service == "research_permit"}
    assert steps["Task_Verify"] == (1, 5 * H, 5 * H, 0, 1, 0.0, 2, 1, 1)  # only A2's; open is "now"
    assert steps["Task_Sign"] == (1, H, H, 1, 1, 1.0, 0, 0, 0)
    (file,) = [r for r in report.files if r.service == "research_permit"]
    assert _figures(file) == (1, 6 * H, 6 * H, 1, 1, 1.0, 2, 0, 1)


def test_filters_and_what_each_manager_may_see(db, ctx, history):
    sinjai_manager = Actor.of("kabid_sinjai", ["manager"], [], ["sinjai"])
    report = _report(db, ctx, actor=sinjai_manager)
    assert {(r.service, r.step) for r in report.steps} == {("fishing_vessel_permit", "Task_Recommend"),
                                                          ("fishing_vessel_permit", "Task_Inspect")}
    assert {r.jurisdiction for r in report.steps_by_jurisdiction + report.files_by_jurisdiction} == {"sinjai"}
    only_research = _report(db, ctx, service="research_permit")
    assert {r.service for r in only_research.steps + only_research.files} == {"research_permit"}
    with pytest.raises(Forbidden):
        _report(db, ctx, actor=VERIFIER)
    with pytest.raises(InvalidInput):
        _report(db, ctx, date_from=wita(2026, 6, 4, 0, 0), date_to=wita(2026, 6, 2, 0, 0))


def test_csv_is_ready_for_a_spreadsheet(db, ctx, history):
    text = reports.to_csv(_report(db, ctx))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == reports.CSV_COLUMNS
    (verify,) = [r for r in rows if r["step"] == "Task_Verify" and r["jurisdiction"] == ""]
    assert (verify["level"], verify["service_name"], verify["completed"], verify["median_working_hours"],
            verify["p90_working_hours"], verify["share_within_sla_pct"], verify["open_breached"]) == (
        "step", "Izin Penelitian", "4", "2.00", "4.40", "75.0", "1")
    (inspect,) = [r for r in rows if r["step"] == "Task_Inspect" and r["jurisdiction"] == ""]
    assert (inspect["median_working_hours"], inspect["share_within_sla_pct"]) == ("", "")
    assert len(rows) == 4 + 2 + 5 + 3


def test_overdue_list_oldest_first_with_who_holds_each(db, ctx, history):
    with db.transaction() as session:
        found, total = reports.overdue(session, ctx, MANAGER)
    assert total == 2
    first, second = found
    assert (first.instance_id, first.step, first.holder, first.due_at) == (
        history.a4, "Task_Verify", "vera", wita(2026, 6, 2, 13, 0))
    assert first.overdue_seconds == 14.5 * H  # Tue 13–16, Wednesday, Thu 08–11:30
    assert (second.instance_id, second.step, second.holder, second.candidate_groups, second.jurisdiction) == (
        history.b2, "Task_Recommend", None, ["regency_fisheries"], "bone")
    with db.transaction() as session:
        mine, count = reports.overdue(session, ctx, Actor.of("boss_bone", ["manager"], [], ["bone"]))
    assert count == 1 and [t.instance_id for t in mine] == [history.b2]


def test_percentiles_interpolate_between_ranks():
    assert reports.percentile([], 0.5) is None
    assert reports.percentile([5.0], 0.9) == 5.0
    assert reports.percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert reports.percentile([10.0, 20.0, 30.0, 40.0, 50.0], 0.9) == 46.0
