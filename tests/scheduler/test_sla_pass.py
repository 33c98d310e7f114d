"""The scheduler's SLA pass after an outage: one call marks every step and file that fell at risk and acts on every
breach, whatever the mix (on PostgreSQL the marks run beside the breaches, in transactions of their own)."""

from __future__ import annotations

from datetime import datetime

from engine.models import Event, Notification
from scheduler import jobs
from tests import samples
from tests.drive import create_staff, instance, open_rows, start, wita


def test_one_pass_after_an_outage_does_everything_that_fell_due(db, ctx, clock, deploy_service):
    deploy_service("research_permit")
    create_staff(db, ctx)
    early = [start(db, ctx, "research_permit", samples.research_application()) for _ in range(3)]
    clock.set(wita(2026, 6, 2, 10, 30))
    late = [start(db, ctx, "research_permit", samples.research_application()) for _ in range(4)]
    # Verification is PT4H (at risk after 3 h), the file P1D (after 6 h): by 13:40 the early steps are overdue,
    # the late ones and every file only at risk.
    clock.set(wita(2026, 6, 2, 13, 40))
    result = jobs.advance_sla(db.factory, ctx, batch=2)
    assert (result.breached, result.at_risk, result.files_breached) == (3, 4, 0)
    assert [r.sla_state for iid in early for r in open_rows(db, iid)] == ["breached"] * 3
    assert [r.sla_state for iid in late for r in open_rows(db, iid)] == ["at_risk"] * 4
    with db.transaction() as session:
        assert session.query(Event).filter_by(kind="sla_breached").count() == 3
        assert session.query(Notification).filter_by(kind="sla_breached").count() == 3 * 3
    clock.set(wita(2026, 6, 2, 16, 0, 1))  # the early files' at-risk instant (15:00) has passed, not the late ones'
    result = jobs.advance_sla(db.factory, ctx)
    assert (result.breached, result.at_risk, result.files_at_risk) == (4, 0, 3)
    assert [instance(db, iid).sla_state for iid in early + late] == ["at_risk"] * 3 + ["on_track"] * 4
    assert jobs.advance_sla(db.factory, ctx).breached == 0


def test_a_burst_of_breaches_gets_every_audit_event_with_its_deadline(db, ctx, clock, deploy_service):
    deploy_service("research_permit")
    ids = [start(db, ctx, "research_permit", samples.research_application()) for _ in range(25)]
    clock.set(wita(2026, 6, 3, 9, 0, 1))
    assert jobs.advance_sla(db.factory, ctx).breached == 25
    with db.transaction() as session:
        found = {e.instance_id: e for e in session.query(Event).filter_by(kind="sla_breached")}
    assert sorted(found) == sorted(ids)
    assert {(e.actor, e.at, datetime.fromisoformat(e.data["due_at"]), e.data["sla"]) for e in found.values()} == {
        ("system", ctx.now(), wita(2026, 6, 2, 13, 0), "PT4H")}
