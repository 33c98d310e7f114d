"""Jobs never wait for an officer: an application whose rows are held by a completion in progress is left for the
next run (PostgreSQL row locks; SQLite lets one writer at a time in, so there the job simply runs after it)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from engine.storage.models import Instance, Task
from scheduler import jobs
from tests.drive import events, instance, open_rows, row, sla_pass, start
from tests.engine.test_sla import _review_process, prop
from tests.scheduler.test_timers import _boundary


def _hold_task_row(db, task_id: str):
    """What an officer's completion does first: lock the task row (PostgreSQL), in a transaction left open."""
    holder = db.factory()
    if db.backend == "postgresql":
        holder.execute(select(Task.id).where(Task.id == task_id).with_for_update())
    return holder


def test_a_timer_of_an_application_being_completed_fires_on_the_next_run(db, ctx, clock, deploy):
    deploy(_boundary(True, "<bpmn:timeDuration>PT1H</bpmn:timeDuration>", "take_over"))
    iid = start(db, ctx, "take_over")
    (review,) = open_rows(db, iid)
    clock.advance(timedelta(hours=2))
    holder = _hold_task_row(db, review.id)
    try:
        if db.backend == "postgresql":
            report = jobs.fire_timers(db.factory, ctx)
            assert (report.instances, report.busy) == (0, 1)
            assert [r.element_id for r in open_rows(db, iid)] == ["review"]
    finally:
        holder.rollback()
        holder.close()
    assert jobs.fire_timers(db.factory, ctx).instances == 1
    assert [r.element_id for r in open_rows(db, iid)] == ["remind"]



def test_a_busy_application_does_not_hold_back_the_others_claimed_with_it(db, ctx, clock, deploy):
    """The timer job claims applications in batches: the one being completed is skipped, the rest fire."""
    deploy(_boundary(True, "<bpmn:timeDuration>PT1H</bpmn:timeDuration>", "take_over"))
    ids = [start(db, ctx, "take_over") for _ in range(3)]
    (review,) = open_rows(db, ids[1])
    clock.advance(timedelta(hours=2))
    holder = _hold_task_row(db, review.id)
    try:
        if db.backend == "postgresql":
            report = jobs.fire_timers(db.factory, ctx)
            assert (report.instances, report.busy) == (2, 1)
            assert [[r.element_id for r in open_rows(db, iid)] for iid in ids] == [["remind"], ["review"], ["remind"]]
    finally:
        holder.rollback()
        holder.close()
    jobs.fire_timers(db.factory, ctx)
    assert [[r.element_id for r in open_rows(db, iid)] for iid in ids] == [["remind"]] * 3
    assert all(len(events(db, iid, "timer_fired")) == 1 for iid in ids)

def test_a_breach_of_a_step_being_completed_is_claimed_on_the_next_pass(db, ctx, clock, deploy):
    deploy(_review_process(task_properties=prop("sla", "PT1H"), process_properties=prop("sla.on_breach", "approve")))
    iid = start(db, ctx, "p")
    (review,) = open_rows(db, iid)
    clock.advance(timedelta(hours=2))
    holder = _hold_task_row(db, review.id)
    try:
        if db.backend == "postgresql":
            result = sla_pass(db, ctx)
            assert (result.breached, result.approved) == (0, 0)
            assert instance(db, iid).status == "running"
    finally:
        holder.rollback()
        holder.close()
    result = sla_pass(db, ctx)
    assert (result.breached, result.approved) == (1, 1)
    assert row(db, iid, "review").completed_by == "system"


def test_an_automatic_decision_owed_is_taken_once_nobody_holds_the_application(db, ctx, clock, deploy):
    deploy(_review_process(task_properties=prop("sla", "PT1H"), process_properties=prop("sla.on_breach", "approve")))
    iid = start(db, ctx, "p")
    clock.advance(timedelta(hours=2))
    holder = db.factory()
    if db.backend == "postgresql":  # a completion of another step has just saved the application (row lock)
        holder.execute(select(Instance.id).where(Instance.id == iid).with_for_update(key_share=True))
    try:
        if db.backend == "postgresql":
            result = sla_pass(db, ctx)
            assert (result.breached, result.approved) == (1, 0)
            assert row(db, iid, "review").sla_action == "approve"  # owed, not forgotten
    finally:
        holder.rollback()
        holder.close()
    sla_pass(db, ctx)
    review = row(db, iid, "review")
    assert (review.state, review.completed_by, review.sla_action) == ("completed", "system", None)
    assert len(events(db, iid, "sla_breached")) == 1 and len(events(db, iid, "fiktif_positif")) == 1


class _Orig(Exception):
    def __init__(self, sqlstate):
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def test_a_pass_rolled_back_by_a_deadlock_runs_again_other_errors_surface():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise DBAPIError("UPDATE task", {}, _Orig("40P01"))
        return "done"

    assert jobs._with_retry(flaky) == "done" and len(calls) == 2
    with pytest.raises(DBAPIError):
        jobs._with_retry(lambda: (_ for _ in ()).throw(DBAPIError("UPDATE task", {}, _Orig("23505"))))
