"""Two scheduler processes at once (two threads, each with its own connection pool) against the same database.

On PostgreSQL they really run side by side and claim rows with ``FOR UPDATE SKIP LOCKED``; on SQLite they take
turns. Either way every timer fires exactly once, every breach is acted on and notified once, and every e-mail
leaves once.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from engine.messaging.mail import MailSettings, SmtpMailer
from engine.storage.db import make_engine, make_session_factory
from engine.storage.models import Event, Instance, Notification
from scheduler import jobs
from scheduler.service import SchedulerService
from tests import samples
from tests.concurrency import together
from tests.drive import create_staff, start, wita
from tests.scheduler.test_timers import INTERMEDIATE


@pytest.fixture
def two_factories(db):
    engines = [make_engine(db.url) for _ in range(2)]
    yield [make_session_factory(engine) for engine in engines]
    for engine in engines:
        engine.dispose()


def test_every_timer_fires_exactly_once(db, ctx, clock, deploy, two_factories):
    deploy(INTERMEDIATE)
    ids = [start(db, ctx, "wait4h") for _ in range(40)]
    clock.advance(timedelta(hours=5))
    reports = together(lambda factory: jobs.fire_timers(factory, ctx), two_factories)
    assert sum(r.instances for r in reports) == 40 and sum(r.failed for r in reports) == 0
    with db.transaction() as session:
        fired = Counter(e.instance_id for e in session.query(Event).filter_by(kind="timer_fired"))
        completed = Counter(e.instance_id for e in session.query(Event).filter_by(kind="completed"))
        statuses = {i.status for i in session.query(Instance).filter(Instance.id.in_(ids))}
    assert fired == Counter({iid: 1 for iid in ids}) and completed == fired
    assert statuses == {"completed"}


def test_every_breach_is_acted_on_and_notified_once(db, ctx, clock, deploy_service, two_factories):
    deploy_service("research_permit")
    create_staff(db, ctx)
    ids = [start(db, ctx, "research_permit", samples.research_application()) for _ in range(30)]
    clock.set(wita(2026, 6, 3, 9, 0, 1))  # every verification and every file is overdue
    results = together(lambda factory: jobs.advance_sla(factory, ctx, batch=4), two_factories)
    assert sum(r.breached for r in results) == 30 and sum(r.files_breached for r in results) == 30
    with db.transaction() as session:
        breaches = Counter(e.task_id for e in session.query(Event).filter_by(kind="sla_breached"))
        file_breaches = Counter(e.instance_id for e in session.query(Event).filter_by(kind="sla_file_breached"))
        sent = Counter((n.task_id, n.recipient) for n in session.query(Notification).filter_by(kind="sla_breached"))
    assert len(breaches) == 30 and set(breaches.values()) == {1}
    assert file_breaches == Counter({iid: 1 for iid in ids})
    assert len(sent) == 30 * 3 and set(sent.values()) == {1}  # vera, vivi and supri, once per step


def test_two_services_running_every_job_deliver_each_mail_once(db, ctx, clock, deploy, deploy_service,
                                                               two_factories, smtp_server):
    mailbox, port = smtp_server
    deploy(INTERMEDIATE)
    deploy_service("research_permit")
    create_staff(db, ctx)
    waiting = [start(db, ctx, "wait4h") for _ in range(10)]
    permits = [start(db, ctx, "research_permit", samples.research_application()) for _ in range(10)]
    clock.set(wita(2026, 6, 3, 9, 0, 1))
    mailer = SmtpMailer(MailSettings(host="127.0.0.1", port=port))
    services = [SchedulerService(ctx, factory, mailer=mailer) for factory in two_factories]
    together(lambda factory: services[two_factories.index(factory)].run_once(), two_factories)
    together(lambda factory: services[two_factories.index(factory)].run_once(), two_factories)
    with db.transaction() as session:
        assert {i.status for i in session.query(Instance).filter(Instance.id.in_(waiting))} == {"completed"}
        assert session.query(Event).filter_by(kind="timer_fired").count() == 10
        outbox = session.query(Notification).filter(Notification.email.is_not(None)).all()
    # Per permit: received (andi), three on the step's breach, one to the supervisor on the file's; per waiting
    # application: received and closed (its timer ended it).
    assert len(outbox) == len(permits) * 5 + len(waiting) * 2
    assert {n.email_status for n in outbox} == {"sent"}
    delivered = Counter((m["To"], m["Subject"]) for m in mailbox.messages())
    assert sum(delivered.values()) == len(outbox) and set(delivered.values()) == {1}
