"""E-mail delivery through a real SMTP server on localhost: content, retries with backoff, failures, leases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.messaging import mail
from engine.messaging.mail import MailSettings, RetryPolicy, SmtpMailer
from scheduler import jobs
from tests import samples
from tests.drive import notifications, open_rows, start, step
from tests.engine.conftest import VERIFIER
from tests.scheduler.conftest import free_port

POLICY = RetryPolicy(base=timedelta(minutes=1), factor=2, max_delay=timedelta(minutes=30), attempts=4)


@pytest.fixture(autouse=True)
def _deployed(deploy_service):
    deploy_service("research_permit")


def _send(db, ctx, port: int, policy: RetryPolicy = POLICY) -> mail.DeliveryReport:
    return jobs.send_notifications(db.factory, ctx, SmtpMailer(MailSettings(host="127.0.0.1", port=port,
                                                                            sender="DPM-PTSP <izin@sulsel.test>")),
                                   policy=policy)


def test_the_applicant_receives_the_mail_as_written(db, ctx, smtp_server):
    mailbox, port = smtp_server
    iid = start(db, ctx, "research_permit", samples.research_application())
    assert _send(db, ctx, port).sent == 1
    (envelope,) = mailbox.received
    assert envelope.rcpt_tos == ["andi@example.ac.id"] and envelope.mail_from == "izin@sulsel.test"
    (message,) = mailbox.messages()
    (row,) = notifications(db)
    assert message["Subject"] == row.subject and "diterima" in message["Subject"]
    assert row.instance_id == iid and "DPMPTSP-SULSEL/IP/2026/00001" in message.get_content()
    assert (row.email_status, row.attempts, row.sent_at) == ("sent", 1, ctx.now())
    assert _send(db, ctx, port).sent == 0  # never twice


def test_the_applicants_mails_link_to_the_application_and_to_the_task_waiting_for_them(db, ctx, smtp_server):
    mailbox, port = smtp_server
    iid = start(db, ctx, "research_permit", samples.research_application())
    step(db, ctx, iid, "Task_Verify", VERIFIER, {"note": "Proposal belum lengkap"}, "Kembalikan untuk perbaikan")
    (revise,) = [row for row in open_rows(db, iid) if row.element_id == "Task_Revise"]
    mailer = SmtpMailer(MailSettings(host="127.0.0.1", port=port, public_url="https://izin.sulsel.test"))
    assert jobs.send_notifications(db.factory, ctx, mailer, policy=POLICY).sent == 2
    received, returned = (message.get_content().replace("\r\n", "\n") for message in mailbox.messages())
    assert received.rstrip().endswith(f"Buka permohonan / Open the application:\nhttps://izin.sulsel.test/applications/{iid}")
    assert returned.rstrip().endswith(f"Buka tugas / Open the task:\nhttps://izin.sulsel.test/tasks/{revise.id}")
    assert "https://" not in notifications(db)[0].body  # the app lists the message with its own link


def test_without_a_public_address_the_mail_has_no_link(db, ctx, smtp_server):
    mailbox, port = smtp_server
    start(db, ctx, "research_permit", samples.research_application())
    _send(db, ctx, port)
    (message,) = mailbox.messages()
    assert "http" not in message.get_content()


def test_a_refused_delivery_is_retried_with_exponential_backoff(db, ctx, clock, smtp_server):
    mailbox, port = smtp_server
    mailbox.refuse = ["451 4.3.0 Mailbox temporarily unavailable"] * 3
    start(db, ctx, "research_permit", samples.research_application())
    started = clock.now()
    waits = []
    for _ in range(3):
        report = _send(db, ctx, port)
        assert (report.sent, report.retrying) == (0, 1)
        (row,) = notifications(db)
        waits.append(row.next_attempt_at - clock.now())
        assert "451" in row.last_error
        assert _send(db, ctx, port).retrying == 0  # not due again before the wait is over
        clock.set(row.next_attempt_at)
    assert waits == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert _send(db, ctx, port).sent == 1
    (row,) = notifications(db)
    assert (row.email_status, row.attempts, row.sent_at) == ("sent", 4, started + timedelta(minutes=7))
    assert len(mailbox.received) == 1


def test_gives_up_after_the_last_attempt(db, ctx, clock, smtp_server):
    mailbox, port = smtp_server
    mailbox.refuse = ["451 4.3.0 Try later"] * 10
    start(db, ctx, "research_permit", samples.research_application())
    for _ in range(POLICY.attempts):
        _send(db, ctx, port)
        clock.advance(timedelta(hours=1))
    (row,) = notifications(db)
    assert (row.email_status, row.attempts) == ("failed", POLICY.attempts) and "451" in row.last_error


def test_a_permanent_refusal_is_not_retried(db, ctx, smtp_server):
    mailbox, port = smtp_server
    mailbox.refuse = ["550 5.1.1 No such mailbox"]
    start(db, ctx, "research_permit", samples.research_application())
    assert _send(db, ctx, port).failed == 1
    (row,) = notifications(db)
    assert (row.email_status, row.attempts, row.next_attempt_at) == ("failed", 1, None)
    assert row.last_error.startswith("550")


def test_work_goes_on_while_the_mail_server_is_down_and_mail_follows(db, ctx, clock, smtp_server):
    mailbox, port = smtp_server
    iid = start(db, ctx, "research_permit", samples.research_application())
    report = _send(db, ctx, free_port())  # nothing listens there
    assert report.retrying == 1
    assert "cannot reach the mail server" in notifications(db)[0].last_error
    # Officers keep working: a completion only writes the outbox row.
    assert step(db, ctx, iid, "Task_Verify", VERIFIER, {"note": "Lengkapi dokumen"}, "Tolak") == []
    assert [n.email_status for n in notifications(db)] == ["pending", "pending"]
    clock.advance(timedelta(minutes=1))
    assert _send(db, ctx, port).sent == 2
    assert sorted(m["Subject"].split(" / ")[0].rsplit(" ", 1)[-1] for m in mailbox.messages()) == [
        "diterima", "ditolak"]


def test_a_lease_keeps_other_senders_off_until_it_expires(db, ctx, clock):
    start(db, ctx, "research_permit", samples.research_application())
    with db.transaction() as session:
        (claimed,) = mail.claim_outgoing(session, clock.now(), policy=POLICY)
    with db.transaction() as session:
        assert mail.claim_outgoing(session, clock.now(), policy=POLICY) == []
    clock.advance(POLICY.lease)  # the first sender died without recording anything
    with db.transaction() as session:
        assert [m.id for m in mail.claim_outgoing(session, clock.now(), policy=POLICY)] == [claimed.id]


def test_without_a_mail_server_configured_nothing_is_sent(db, ctx, monkeypatch):
    monkeypatch.delenv("LINCAH_SMTP_HOST", raising=False)
    start(db, ctx, "research_permit", samples.research_application())
    assert jobs.send_notifications(db.factory, ctx, None).sent == 0
    assert MailSettings.from_env().enabled is False
    assert notifications(db)[0].email_status == "pending"
