"""The scheduler service in the background (as inside ``lincah serve``) and ``lincah scheduler`` on its own."""

from __future__ import annotations

import threading
from datetime import timedelta

from click.testing import CliRunner

from engine.messaging.mail import MailSettings, SmtpMailer
from scheduler.cli import scheduler_command
from scheduler.service import Intervals, SchedulerService
from tests import samples
from tests.drive import create_staff, instance, notifications, row, start, wita
from tests.scheduler.test_timers import INTERMEDIATE


def test_background_service_runs_every_job_on_start_and_stops(db, ctx, clock, deploy, deploy_service,
                                                              smtp_server):
    mailbox, port = smtp_server
    deploy(INTERMEDIATE)
    deploy_service("research_permit")
    create_staff(db, ctx, ["vera", "supri"])
    waiting = start(db, ctx, "wait4h")
    permit = start(db, ctx, "research_permit", samples.research_application())
    clock.set(wita(2026, 6, 2, 13, 0, 1))
    service = SchedulerService(ctx, db.factory, mailer=SmtpMailer(MailSettings(host="127.0.0.1", port=port)),
                               intervals=Intervals(timers=3600, sla=3600, notifications=3600))
    finished = {name: threading.Event() for name in ("timers", "sla", "notifications")}
    service.fire_timers = _signalling(service.fire_timers, finished["timers"])
    service.advance_sla = _signalling(service.advance_sla, finished["sla"])
    service.send_notifications = _signalling(service.send_notifications, finished["notifications"])
    service.start()
    try:
        assert service.running
        assert all(event.wait(timeout=30) for event in finished.values())
    finally:
        service.stop()
    assert not service.running
    assert instance(db, waiting).status == "completed"
    assert row(db, permit, "Task_Verify").sla_state == "breached"
    assert {n.recipient for n in notifications(db, "sla_breached")} == {"vera", "supri"}
    assert mailbox.received[0].rcpt_tos == ["andi@example.ac.id"]  # queued before the start, sent by the first run


def _signalling(job, event: threading.Event):
    def run():
        try:
            return job()
        finally:
            event.set()
    return run


def test_a_failing_job_is_logged_and_does_not_stop_the_others(db, ctx, caplog):
    service = SchedulerService(ctx, db.factory)

    def broken():
        raise RuntimeError("database went away")

    service.fire_timers = broken
    assert service._guarded("timers") is None
    assert "scheduler job timers failed" in caplog.text
    assert service._guarded("sla").breached == 0


def test_lincah_scheduler_once_catches_up_and_reports(db, ctx, clock, deploy, monkeypatch):
    deploy(INTERMEDIATE)
    iid = start(db, ctx, "wait4h")  # started on 2 June 2026 (the frozen clock); the command runs on real time
    clock.advance(timedelta(hours=5))
    monkeypatch.setenv("LINCAH_DATABASE_URL", db.url)
    monkeypatch.delenv("LINCAH_SMTP_HOST", raising=False)
    result = CliRunner().invoke(scheduler_command, ["--once"])
    assert result.exit_code == 0, result.output
    assert "timers: 1 application(s), 0 failed" in result.output
    assert instance(db, iid).status == "completed"


def test_lincah_scheduler_keeps_no_workflows_unless_asked_and_refuses_a_bad_setting(db, monkeypatch):
    from scheduler import cli

    monkeypatch.setenv("LINCAH_DATABASE_URL", db.url)
    monkeypatch.delenv("LINCAH_SMTP_HOST", raising=False)
    monkeypatch.delenv("LINCAH_LIVE_WORKFLOWS", raising=False)
    seen = []
    real = cli.SchedulerService.from_settings

    def capture(ctx, *args, **kwargs):
        seen.append(ctx.live.size)
        return real(ctx, *args, **kwargs)

    monkeypatch.setattr(cli.SchedulerService, "from_settings", capture)
    assert CliRunner().invoke(scheduler_command, ["--once"]).exit_code == 0
    monkeypatch.setenv("LINCAH_LIVE_WORKFLOWS", "32")
    assert CliRunner().invoke(scheduler_command, ["--once"]).exit_code == 0
    assert seen == [0, 32]
    monkeypatch.setenv("LINCAH_LIVE_WORKFLOWS", "banyak")
    refused = CliRunner().invoke(scheduler_command, ["--once"])
    assert refused.exit_code == 1 and "LINCAH_LIVE_WORKFLOWS must be a whole number" in refused.output
