"""Uploads nobody attached are forgotten after two days and their bytes removed, unless another upload shares them;
attached documents are never touched."""

from __future__ import annotations

import io
from datetime import timedelta

from engine.documents import attachments, file_store
from engine.people.access import Actor
from engine.storage.models import Attachment
from scheduler import jobs
from tests import samples
from tests.drive import start
from tests.people import PDF, PNG

ANDI = Actor.of("andi", ["applicant"])


def _upload(db, ctx, data: bytes, name: str) -> Attachment:
    with db.transaction() as session:
        return attachments.store(session, ctx, name=name, stream=io.BytesIO(data), actor=ANDI)


def _kept(db, ctx, attachment: Attachment) -> bool:
    """Whether the store (the instance folder, or the database on PostgreSQL) still has the bytes."""
    with db.transaction() as session:
        return file_store.exists(session, ctx, attachment.sha256)


def test_uploads_never_attached_are_forgotten_after_two_days_and_used_bytes_stay(db, ctx, clock, deploy_service):
    deploy_service("research_permit")
    application_id = start(db, ctx, "research_permit", samples.research_application())
    kept = _upload(db, ctx, PDF, "surat.pdf")
    with db.transaction() as session:
        attachments.link(session, [session.get(Attachment, kept.id)], application_id)
    shared = _upload(db, ctx, PDF, "surat-lagi.pdf")  # the same bytes, never attached
    lonely = _upload(db, ctx, PNG, "foto.png")
    assert all(_kept(db, ctx, a) for a in (kept, shared, lonely))

    clock.advance(timedelta(days=1))
    assert jobs.clean_uploads(db.factory, ctx) == {"forgotten": 0, "files_removed": 0}  # not two days yet
    clock.advance(timedelta(days=1, seconds=1))
    assert jobs.clean_uploads(db.factory, ctx) == {"forgotten": 2, "files_removed": 1}
    with db.transaction() as session:
        assert [a.id for a in session.query(Attachment)] == [kept.id]
    assert _kept(db, ctx, kept) and not _kept(db, ctx, lonely)
    assert jobs.clean_uploads(db.factory, ctx) == {"forgotten": 0, "files_removed": 0}
