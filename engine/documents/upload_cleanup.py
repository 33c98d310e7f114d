"""Uploads nobody used: a document uploaded on its own (the apply page sends each file as soon as it is chosen) and
then never attached — the applicant replaced it, chose a wrong type, or gave up. Left alone they would fill the disk.

After ``KEPT_FOR`` an unattached upload's row is deleted, and its bytes once no other row shares them (the store is
content-addressed). The delete is conditional (``instance_id IS NULL``), so an upload attached at that moment stays;
files go only after the rows' deletion committed, each checked again for a row that shares it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.documents import file_store
from engine.storage.models import Attachment, FormDraftFile

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

KEPT_FOR = timedelta(days=2)


def forget_unattached(session: Session, ctx: EngineContext, *, kept_for: timedelta = KEPT_FOR
                      ) -> tuple[int, set[str]]:
    """Delete the rows of uploads unattached for ``kept_for``; return how many, and the checksums whose files may
    now be unused."""
    cutoff = ctx.now() - kept_for
    # An upload a live form draft refers to (engine.casework.drafts) waits for its draft to be sent or to expire.
    stale = (Attachment.instance_id.is_(None), Attachment.uploaded_at < cutoff,
             Attachment.id.not_in(select(FormDraftFile.attachment_id)))
    checksums = set(session.scalars(select(Attachment.sha256).where(*stale)))
    if not checksums:
        return 0, set()
    return session.execute(delete(Attachment).where(*stale)).rowcount, checksums


def remove_unused_files(session: Session, ctx: EngineContext, checksums: set[str]) -> int:
    """Remove the stored files of ``checksums`` that no row refers to any more; return how many went."""
    if not checksums:
        return 0
    still_used = set(session.scalars(select(Attachment.sha256).where(Attachment.sha256.in_(sorted(checksums)))))
    return file_store.remove(session, ctx, sorted(checksums - still_used))
