"""While the database is down the scheduler logs one line, and one when it is back — not a traceback per
application per run (that was ~1,500 in 10 s, a gigabyte of log per hour of outage)."""

from __future__ import annotations

import logging
from datetime import timedelta

from click.testing import CliRunner

from engine.messaging.mail import MailSettings, SmtpMailer
from engine.storage.db import make_engine, make_session_factory
from scheduler.cli import scheduler_command
from scheduler.service import SchedulerService
from tests.drive import instance, start
from tests.outage import closed_port, unreachable_postgres_url
from tests.scheduler.test_timers import INTERMEDIATE

JOBS = ("timers", "sla", "notifications", "uploads")


def _scheduler_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "lincah.scheduler" and r.levelno >= logging.INFO]


def test_an_outage_of_many_runs_is_one_line_and_its_end_another(db, ctx, clock, deploy, caplog):
    deploy(INTERMEDIATE)
    due = [start(db, ctx, "wait4h") for _ in range(3)]
    clock.advance(timedelta(hours=5))  # three applications whose timers are due: each used to log its own traceback
    down = make_engine(unreachable_postgres_url())
    mailer = SmtpMailer(MailSettings(host="127.0.0.1", port=closed_port()))  # e-mail on: that job reads the outbox
    service = SchedulerService(ctx, make_session_factory(down), mailer=mailer)
    caplog.set_level(logging.DEBUG, logger="lincah.scheduler")
    try:
        for _tick in range(5):
            for job in JOBS:
                assert service._guarded(job) is None
    finally:
        down.dispose()
    lines = _scheduler_lines(caplog)
    assert len(lines) == 1
    assert lines[0].levelno == logging.ERROR and "database unavailable" in lines[0].getMessage()
    assert "LINCAH_DATABASE_URL" in lines[0].getMessage() and "job timers" in lines[0].getMessage()
    assert not any(r.exc_info for r in caplog.records), "no traceback for an outage"
    assert service.outage.in_outage

    caplog.clear()
    service.factory = db.factory  # the database is back
    report = service._guarded("timers")
    assert report.instances == 3 and report.failed == 0
    for job in JOBS:
        service._guarded(job)
    lines = _scheduler_lines(caplog)
    assert len(lines) == 1 and lines[0].levelno == logging.WARNING
    assert "database available again" in lines[0].getMessage() and "20 failed job run(s)" in lines[0].getMessage()
    assert not service.outage.in_outage
    assert all(instance(db, iid).status == "completed" for iid in due)


def test_a_job_that_breaks_for_another_reason_still_logs_its_traceback(db, ctx, caplog):
    service = SchedulerService(ctx, db.factory)

    def broken():
        raise RuntimeError("a bug, not an outage")

    service.advance_sla = broken
    service._guarded("sla")
    assert any(r.exc_info and "scheduler job sla failed" in r.getMessage() for r in caplog.records)
    assert not service.outage.in_outage


def test_e_mail_without_a_mailer_does_not_count_as_the_database_answering(ctx, caplog):
    down = make_engine(unreachable_postgres_url())
    service = SchedulerService(ctx, make_session_factory(down), mailer=None)
    try:
        service._guarded("timers")
        service._guarded("notifications")  # touches nothing: no "available again" line
        assert service.outage.in_outage
    finally:
        down.dispose()


def test_lincah_scheduler_once_against_a_database_that_is_down_says_so_in_one_line(monkeypatch):
    monkeypatch.setenv("LINCAH_DATABASE_URL", unreachable_postgres_url())
    monkeypatch.delenv("LINCAH_SMTP_HOST", raising=False)
    result = CliRunner().invoke(scheduler_command, ["--once"])
    assert result.exit_code == 1
    assert "The database does not answer (OperationalError); nothing was run." in result.output
    assert "Traceback" not in result.output
