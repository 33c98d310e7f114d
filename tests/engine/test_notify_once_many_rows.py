"""Notify once, on the path a burst of breaches takes: ``notifications.enqueue`` of more rows than one multi-row
INSERT holds goes through ``sql.insert_rows`` (PostgreSQL: ``COPY`` into a staging table, then ``INSERT … SELECT …
ON CONFLICT (dedupe_key) DO NOTHING``; SQLite: ``executemany`` of plain tuples). A notice whose ``dedupe_key`` is
there already — also from a transaction still open beside it — is skipped, and the staging table never leaks rows
from one transaction, savepoint or connection into another."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from engine.messaging import notifications
from engine.messaging.notifications import Message
from engine.storage.db import make_engine, make_session_factory, transaction
from engine.storage.models import Event, Notification
from engine.storage.sql import InsertRows, insert_rows
from scheduler import jobs
from tests import samples
from tests.concurrency import together
from tests.drive import create_staff, start, wita

MANY = 3 * InsertRows.MANY  # past the size one prepared multi-row INSERT takes
AT = wita(2026, 6, 3, 9, 0)


def _notices(keys, subject: str) -> list[Message]:
    return [Message(kind="sla_breached", recipient=f"officer.{n % 3}", subject=subject, body=f"Tugas {n}\n\nTask {n}",
                    email=f"officer.{n % 3}@dpmptsp.test" if n % 2 else None, data={"n": n},
                    dedupe_key=f"sla_breached:{n}:officer.{n % 3}") for n in keys]


def _events(label: str) -> list[dict]:
    return [{"kind": "sla_breached", "actor": "system", "at": AT, "instance_id": None, "definition_id": None,
             "task_id": None, "element_id": label, "data": {"n": n}} for n in range(MANY)]


def _stored(db) -> dict[str, tuple]:
    with db.transaction() as session:
        return {n.dedupe_key: (n.subject, n.email_status, n.data) for n in session.scalars(select(Notification))}


@pytest.fixture
def second_factory(db):
    engine = make_engine(db.url)
    yield make_session_factory(engine)
    engine.dispose()


def _waiting_on_a_lock(db, pid: int) -> bool:
    with db.engine.connect() as connection:
        return connection.scalar(text("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = :pid"),
                                 {"pid": pid}) is True


@pytest.mark.postgresql_only
@pytest.mark.parametrize("first_commits", [True, False])
def test_a_notice_an_open_transaction_is_writing_is_written_once(db, ctx, second_factory, first_commits):
    """The second pass's rows that share a key with the first's wait for the first transaction: skipped when it
    commits, written when it rolls back; every other row is written either way, and nothing fails."""
    first = db.factory()
    notifications.enqueue(first, ctx, _notices(range(MANY), "first"))
    pid = first.connection().connection.dbapi_connection.info.backend_pid
    outcome: dict = {}

    def second_pass():
        try:
            with transaction(second_factory) as session:
                outcome["pid"] = session.connection().connection.dbapi_connection.info.backend_pid
                notifications.enqueue(session, ctx, _notices(range(MANY // 2, MANY + MANY // 2), "second"))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=second_pass)
    thread.start()
    try:
        # The second transaction stops at the first shared key until the first ends (waited for, not timed).
        while thread.is_alive() and not ("pid" in outcome and _waiting_on_a_lock(db, outcome["pid"])):
            thread.join(0.01)
        assert thread.is_alive(), outcome.get("error")
        assert pid != outcome["pid"]
    finally:
        (first.commit if first_commits else first.rollback)()
        first.close()
        thread.join(60)
    assert "error" not in outcome
    stored = _stored(db)
    written_first = range(MANY) if first_commits else range(0)
    written_second = range(MANY if first_commits else MANY // 2, MANY + MANY // 2)
    assert sorted(stored) == sorted(m.dedupe_key for m in _notices([*written_first, *written_second], ""))
    assert {key for key, (subject, *_) in stored.items() if subject == "second"} == {
        m.dedupe_key for m in _notices(written_second, "")}


def test_rows_of_a_rolled_back_transaction_or_savepoint_are_not_written_later(db, ctx):
    """A staging table made by a transaction that rolled back is gone with it and made again; rows staged in a
    savepoint rolled back are not moved by a later batch of the same transaction."""
    with pytest.raises(RuntimeError), db.transaction() as session:
        notifications.enqueue(session, ctx, _notices(range(MANY), "rolled back"))
        insert_rows(session, Event.__table__, _events("rolled back"))
        raise RuntimeError("the pass failed")
    with db.transaction() as session:
        with pytest.raises(RuntimeError), session.begin_nested():
            notifications.enqueue(session, ctx, _notices(range(MANY, 2 * MANY), "savepoint rolled back"))
            insert_rows(session, Event.__table__, _events("savepoint rolled back"))
            raise RuntimeError("one firing failed")
        notifications.enqueue(session, ctx, _notices(range(2 * MANY, 3 * MANY), "kept"))
        insert_rows(session, Event.__table__, _events("kept"))
    with db.transaction() as session:  # the same pooled connection, its staging tables emptied by the commit
        notifications.enqueue(session, ctx, _notices(range(3 * MANY, 4 * MANY), "next transaction"))
        insert_rows(session, Event.__table__, _events("next transaction"))
    with db.transaction() as session:  # events have no key to skip duplicates by: each staged row moved once
        events = Counter(e.element_id for e in session.scalars(select(Event)))
    assert sorted(events.items()) == [("kept", MANY), ("next transaction", MANY)]
    stored = _stored(db)
    assert sorted(Counter(subject for subject, *_ in stored.values()).items()) == [
        ("kept", MANY), ("next transaction", MANY)]
    assert stored["sla_breached:121:officer.1"] == ("kept", "pending", {"n": 121})
    assert stored["sla_breached:122:officer.2"] == ("kept", None, {"n": 122})


def test_two_passes_at_once_act_on_and_notify_each_breach_once_in_batches_of_many_rows(
        db, ctx, clock, deploy_service, second_factory):
    """The scheduler's two processes, each pass writing its batch's audit events and notices as many rows at once."""
    deploy_service("research_permit")
    create_staff(db, ctx)
    ids = [start(db, ctx, "research_permit", samples.research_application()) for _ in range(30)]
    clock.set(wita(2026, 6, 3, 9, 0, 1))  # every verification and every file is overdue
    results = together(lambda factory: jobs.advance_sla(factory, ctx, batch=25),
                        [db.factory, second_factory])
    assert sum(r.breached for r in results) == 30 and sum(r.files_breached for r in results) == 30
    with db.transaction() as session:
        breaches = Counter(e.task_id for e in session.scalars(select(Event).where(Event.kind == "sla_breached")))
        files = Counter(e.instance_id for e in session.scalars(select(Event).where(Event.kind == "sla_file_breached")))
        sent = Counter((n.task_id, n.recipient) for n in session.scalars(
            select(Notification).where(Notification.kind == "sla_breached")))
    assert len(breaches) == 30 and set(breaches.values()) == {1}
    assert files == Counter({iid: 1 for iid in ids})
    assert len(sent) == 30 * 3 and set(sent.values()) == {1}  # vera, vivi and supri, once per step
    clock.advance(timedelta(hours=1))
    again = jobs.advance_sla(db.factory, ctx)  # nothing is acted on twice
    assert (again.breached, again.files_breached, again.notified) == (0, 0, 0)
