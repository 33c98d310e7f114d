"""The scheduler's heartbeat: each run leaves its mark, which ``/api/v1/health`` reads; each run has an id."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from api import create_app
from engine.storage.heartbeat import SchedulerHeartbeat
from engine.storage.models import Event
from scheduler.service import Intervals, SchedulerService
from tests.drive import start
from tests.scheduler.test_timers import INTERMEDIATE


def _health(db, ctx, scheduler=None):
    app = create_app({"TESTING": True}, context=ctx, session_factory=db.factory)
    app.extensions["lincah"]["scheduler"] = scheduler
    response = app.test_client().get("/api/v1/health")
    assert response.status_code == 200  # a missing scheduler degrades the answer; the server still serves
    return response.get_json()


def test_health_is_degraded_while_no_scheduler_ever_ran(db, ctx):
    body = _health(db, ctx)
    assert body["status"] == "degraded" and body["database"] == "ok"
    assert body["scheduler"] == {"state": "never ran", "in_this_process": False, "jobs": []}
    assert "lincah scheduler" in body["problems"][0]


def test_a_scheduler_run_makes_health_ok_with_each_jobs_age(db, ctx, clock):
    service = SchedulerService(ctx, db.factory, intervals=Intervals(timers=15, sla=60, notifications=30))
    service.run_once()
    clock.advance(timedelta(seconds=20))
    body = _health(db, ctx, scheduler=service)
    assert body["status"] == "ok" and body["problems"] == []
    assert body["scheduler"]["state"] == "running" and body["scheduler"]["in_this_process"] is True
    jobs = {job["job"]: job for job in body["scheduler"]["jobs"]}
    assert {"timers", "sla", "notifications", "uploads"} <= set(jobs)
    assert jobs["timers"] == {"job": "timers", "last_run_age_seconds": 20.0, "interval_seconds": 15.0,
                              "late": False, "schedulers": 1}


def test_a_scheduler_that_stopped_is_reported_late(db, ctx, clock):
    SchedulerService(ctx, db.factory, intervals=Intervals(timers=15, sla=60, notifications=30)).run_once()
    clock.advance(timedelta(minutes=10))  # the SLA job (every 60 s) is late after 4 min, the hourly upload job not
    body = _health(db, ctx)
    assert body["status"] == "degraded" and body["scheduler"]["state"] == "late"
    late = {job["job"] for job in body["scheduler"]["jobs"] if job["late"]}
    assert {"timers", "sla", "notifications"} <= late and "uploads" not in late
    assert all(job in body["problems"][0] for job in ("timers", "sla", "notifications"))


def test_each_scheduler_process_has_its_own_rows_and_the_newest_run_counts(db, ctx, clock):
    first, second = SchedulerService(ctx, db.factory), SchedulerService(ctx, db.factory)
    first.run_once()
    clock.advance(timedelta(seconds=5))
    second.run_once()
    second.run_once()
    with db.factory() as session:
        rows = session.scalars(select(SchedulerHeartbeat).where(SchedulerHeartbeat.job == "timers")).all()
    assert {row.scheduler_id for row in rows} == {first.scheduler_id, second.scheduler_id}
    body = _health(db, ctx)
    timers = next(job for job in body["scheduler"]["jobs"] if job["job"] == "timers")
    assert timers["last_run_age_seconds"] == 0.0 and timers["schedulers"] == 2


def test_the_events_a_timer_run_writes_carry_the_runs_id(db, ctx, clock, deploy):
    deploy(INTERMEDIATE)
    iid = start(db, ctx, "wait4h")
    clock.advance(timedelta(hours=5))
    SchedulerService(ctx, db.factory).run_once()
    with db.factory() as session:
        completed = session.scalars(select(Event).where(Event.instance_id == iid, Event.kind == "completed")).one()
    assert completed.data["request_id"].startswith("timers-")
