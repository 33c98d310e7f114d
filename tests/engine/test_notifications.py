"""In-app notifications: each person sees their own, newest first, and marks them read."""

from __future__ import annotations

import pytest

from engine.errors import InvalidInput
from engine.messaging import notifications
from engine.messaging.notifications import Message
from engine.storage.models import Notification
from tests.engine.conftest import APPLICANT, OTHER_APPLICANT


def _queue(db, ctx, count: int, recipient: str = "andi") -> None:
    with db.transaction() as session:
        notifications.enqueue(session, ctx, [Message(kind="note", recipient=recipient, subject=f"Pesan {i}",
                                                     body="-") for i in range(count)])


def test_newest_first_with_paging_and_unread_count(db, ctx):
    _queue(db, ctx, 5)
    _queue(db, ctx, 2, recipient="budi")
    with db.transaction() as session:
        first = notifications.list_for(session, APPLICANT, limit=3)
        second = notifications.list_for(session, APPLICANT, limit=3, before=first.next_before)
    assert [n.subject for n in first.items] == ["Pesan 4", "Pesan 3", "Pesan 2"]
    assert [n.subject for n in second.items] == ["Pesan 1", "Pesan 0"] and second.next_before is None
    assert first.unread == 5


def test_marking_read_touches_only_ones_own(db, ctx):
    _queue(db, ctx, 3)
    _queue(db, ctx, 1, recipient="budi")
    with db.transaction() as session:
        mine = [n.id for n in notifications.list_for(session, APPLICANT).items]
        (theirs,) = [n.id for n in notifications.list_for(session, OTHER_APPLICANT).items]
        assert notifications.mark_read(session, ctx, APPLICANT, [mine[0], theirs]) == 1
    with db.transaction() as session:
        assert notifications.unread_count(session, APPLICANT) == 2
        assert notifications.unread_count(session, OTHER_APPLICANT) == 1
        unread = notifications.list_for(session, APPLICANT, unread_only=True).items
        assert [n.id for n in unread] == mine[1:]
        assert notifications.mark_read(session, ctx, APPLICANT) == 2
    with db.transaction() as session:
        assert notifications.unread_count(session, APPLICANT) == 0
        assert all(n.read_at == ctx.now() for n in notifications.list_for(session, APPLICANT).items)


def test_the_same_cause_is_notified_once(db, ctx):
    for _ in range(2):
        with db.transaction() as session:
            notifications.enqueue(session, ctx, [Message(kind="note", recipient="andi", subject="Sekali", body="-",
                                                         dedupe_key="note:1:andi")])
    with db.transaction() as session:
        assert notifications.unread_count(session, APPLICANT) == 1


def test_a_burst_of_messages_is_stored_exactly_and_duplicates_skipped(db, ctx):
    """A breach pass writes thousands at once (one statement on PostgreSQL): every field comes back as given."""
    messages = [Message(kind="sla_breached", recipient=f"petugas{i % 30}", subject=f"Batas — \"{i}\" / Overdue",
                        body="Baris satu\nBaris \\ dua ✓", email=f"p{i}@dpmptsp.test" if i % 2 else None,
                        instance_id=i if i % 3 else None, task_id=None, data={"step": "Task_Verify", "n": [i, 1.5]},
                        dedupe_key=f"sla_breached:{i % 40}") for i in range(60)]
    with db.transaction() as session:
        assert notifications.enqueue(session, ctx, messages) == 60
    with db.transaction() as session:
        stored = session.query(Notification).order_by(Notification.id).all()
        first = messages[:40]
        assert [(n.recipient, n.subject, n.body, n.email, n.instance_id, n.data, n.dedupe_key) for n in stored] == [
            (m.recipient, m.subject, m.body, m.email, m.instance_id, m.data, m.dedupe_key) for m in first]
        assert {n.created_at for n in stored} == {ctx.now()}
        assert [(n.email_status, n.next_attempt_at) for n in stored[:2]] == [(None, None), ("pending", ctx.now())]


def test_a_bad_limit_is_refused(db):
    with db.transaction() as session, pytest.raises(InvalidInput):
        notifications.list_for(session, APPLICANT, limit=0)


@pytest.mark.parametrize("outcome, data, kind", [
    ("Izin penelitian terbit", {}, notifications.APPROVED),
    ("Selesai", {"permit_number": "503/1"}, notifications.APPROVED),
    ("Permohonan ditolak provinsi", {}, notifications.REJECTED),
    ("Kapal tidak layak", {}, notifications.REJECTED),
    ("Berkas ditutup (tidak dilengkapi)", {}, notifications.CLOSED),
])
def test_the_end_of_a_file_is_told_as_approved_rejected_or_closed(outcome, data, kind):
    assert notifications.outcome_kind(outcome, data) == kind
