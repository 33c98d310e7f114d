"""The scheduler's SLA pass after an outage: one call acts on every breach, whatever the mix; steps and files that
fell at risk meanwhile read at risk without the pass writing anything (engine.sla.risk)."""

from __future__ import annotations

from datetime import datetime

from engine.messaging.mail import MailSettings, SmtpMailer
from engine.people import users
from engine.sla import risk
from engine.sla.clocks import target_words
from engine.storage.models import Event, Notification
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
    assert (result.breached, result.files_breached) == (3, 0)
    assert [r.sla_state for iid in early for r in open_rows(db, iid)] == ["breached"] * 3
    assert [risk.of_task(r, ctx.now()) for iid in late for r in open_rows(db, iid)] == ["at_risk"] * 4
    with db.transaction() as session:
        assert session.query(Event).filter_by(kind="sla_breached").count() == 3
        assert session.query(Notification).filter_by(kind="sla_breached").count() == 3 * 3
    clock.set(wita(2026, 6, 2, 16, 0, 1))  # the early files' at-risk instant (15:00) has passed, not the late ones'
    result = jobs.advance_sla(db.factory, ctx)
    assert (result.breached, result.files_breached) == (4, 0)
    assert [risk.of_file(instance(db, iid), ctx.now()) for iid in early + late] == ["at_risk"] * 3 + ["on_track"] * 4
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


def test_a_step_nobody_can_work_is_told_to_the_administrators_once(db, ctx, clock, deploy_service):
    """Takalar has no fisheries officer and no supervisor: its file would wait in nobody's inbox."""
    deploy_service("fishing_vessel_permit")
    create_staff(db, ctx)
    for name in ("ani", "adi"):
        create_staff_in(db, ctx, name, ["admin"], [], ["*"])
    served = start(db, ctx, "fishing_vessel_permit", samples.vessel_application("sinjai"))
    stranded = start(db, ctx, "fishing_vessel_permit", samples.vessel_application("takalar"))
    assert [r.jurisdiction for r in open_rows(db, stranded)] == ["takalar"]
    assert jobs.notify_unstaffed(db.factory, ctx) == 1
    assert jobs.notify_unstaffed(db.factory, ctx) == 1  # still nobody, but told only once
    with db.transaction() as session:
        told = session.query(Notification).filter_by(kind="step_unstaffed").order_by(Notification.recipient).all()
        assert [(n.recipient, n.instance_id) for n in told] == [("adi", stranded), ("ani", stranded)]
        assert "regency_fisheries" in told[0].body and "takalar" in told[0].subject
        assert all(n.instance_id != served for n in told)
    # Once an officer serves Takalar, its next steps are nobody's problem.
    create_staff_in(db, ctx, "tala", ["officer"], ["regency_fisheries"], ["takalar"])
    start(db, ctx, "fishing_vessel_permit", samples.vessel_application("takalar"))
    assert jobs.notify_unstaffed(db.factory, ctx) == 0


def create_staff_in(db, ctx, name, roles, groups, offices) -> None:
    with db.transaction() as session:
        users.create(session, username=name, password="rahasia-123", roles=roles, groups=groups,
                     jurisdictions=offices, full_name=name.title(), email=f"{name}@dpmptsp.test", at=ctx.now())


def test_the_supervisor_is_mailed_about_a_late_step_and_file_with_the_target_in_words(db, ctx, clock,
                                                                                    deploy_service, smtp_server):
    mailbox, port = smtp_server
    deploy_service("research_permit")
    create_staff(db, ctx)
    start(db, ctx, "research_permit", samples.research_application())
    clock.set(wita(2026, 6, 3, 9, 0, 1))  # verification (PT4H) was due yesterday 13:00, the file (P1D) just now
    result = jobs.advance_sla(db.factory, ctx)
    assert (result.breached, result.files_breached) == (1, 1)
    mailer = SmtpMailer(MailSettings(host="127.0.0.1", port=port, sender="DPM-PTSP <izin@sulsel.test>"))
    jobs.send_notifications(db.factory, ctx, mailer)
    to_supervisor = [m for e, m in zip(mailbox.received, mailbox.messages(), strict=True)
                     if e.rcpt_tos == ["supri@dpmptsp.test"]]
    step, whole = sorted(to_supervisor, key=lambda m: "Permohonan melewati" in m["Subject"])
    assert "Melewati batas waktu: Verifikasi berkas" in step["Subject"]
    assert "(target 4 jam kerja, jatuh tempo 02-06-2026 13:00 WITA)" in step.get_content()
    assert "(target 4 working hours, due 02-06-2026 13:00 WITA)" in step.get_content()
    assert "(target 1 hari kerja, jatuh tempo 03-06-2026 09:00 WITA)" in whole.get_content()
    assert "PT4H" not in step.get_content() and "P1D" not in whole.get_content()


def test_targets_read_as_working_time_or_plain_time_on_a_round_the_clock_step():
    assert target_words("PT4H") == ("4 jam kerja", "4 working hours")
    assert target_words("P1D") == ("1 hari kerja", "1 working day")
    assert target_words("P1DT4H30M") == ("1 hari kerja 4 jam kerja 30 menit",
                                         "1 working day 4 working hours 30 minutes")
    assert target_words("P2D", "24x7") == ("2 hari", "2 days")
    assert target_words("${deadline}") == ("${deadline}", "${deadline}")
