"""Where the bytes of uploaded documents live: the instance folder, or the database.

A single host keeps them as files under their SHA-256 in the instance folder (SQLite's default). Several app hosts
behind one PostgreSQL cannot: a document uploaded on one host must download from any other, so there the bytes go
into the ``attachment_content`` table (PostgreSQL's default; ``LINCAH_ATTACHMENT_STORE`` chooses). In the database
the bytes are written in the same transaction as the row that names them, so a crash never leaves one without the
other, and they are read back in slices so a download never needs the whole document in one value.

Both stores are content-addressed: the same document uploaded twice is kept once, and a checksum's bytes are removed
only when no attachment row refers to them (``engine/documents/upload_cleanup.py``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from engine.storage import installation_files
from engine.storage.models import AttachmentContent
from engine.storage.sql import InsertRows

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

# A download reads the database in slices of this size into a spooled file that stays in memory up to SPOOL.
SLICE = 1024 * 1024
SPOOL = 2 * 1024 * 1024
_INSERT = InsertRows(AttachmentContent.__table__, ("sha256", "size", "content"), skip_duplicates_of="sha256")


def in_database(session: Session, ctx: EngineContext) -> bool:
    """Whether this installation keeps documents in the database (``LINCAH_ATTACHMENT_STORE``)."""
    return installation_files.documents_in_database(ctx.settings, session.get_bind().dialect.name)


def folder(ctx: EngineContext) -> Path:
    return Path(ctx.settings.instance_path) / "attachments"


def _file(ctx: EngineContext, sha: str) -> Path:
    return folder(ctx) / sha[:2] / sha


def spool(session: Session, ctx: EngineContext) -> tuple[int, Path]:
    """A temporary file to receive an upload while it is checked: in the attachments folder (so keeping it is a
    rename on the same disk) or, when documents go to the database, in the system's temporary folder."""
    if in_database(session, ctx):
        fd, name = tempfile.mkstemp(prefix="lincah-upload-")
        return fd, Path(name)
    where = folder(ctx)
    where.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=where, prefix=".upload-")
    return fd, Path(name)


def keep(session: Session, ctx: EngineContext, sha: str, checked: Path) -> None:
    """Keep the checked upload ``checked`` (a temporary file, consumed) as the bytes of ``sha``."""
    try:
        if in_database(session, ctx):
            content = checked.read_bytes()
            _INSERT.execute(session, {"sha256": sha, "size": len(content), "content": content})
            return
        final = _file(ctx, sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        if not final.exists():
            os.replace(checked, final)
    finally:
        checked.unlink(missing_ok=True)


def exists(session: Session, ctx: EngineContext, sha: str) -> bool:
    if in_database(session, ctx):
        return session.scalar(select(func.count()).select_from(AttachmentContent)
                              .where(AttachmentContent.sha256 == sha)) > 0
    return _file(ctx, sha).is_file()


def open_bytes(session: Session, ctx: EngineContext, sha: str) -> BinaryIO | None:
    """The bytes of ``sha`` as a readable file positioned at the start, or ``None`` when the store has none."""
    if not in_database(session, ctx):
        path = _file(ctx, sha)
        return path.open("rb") if path.is_file() else None
    size = session.scalar(select(AttachmentContent.size).where(AttachmentContent.sha256 == sha))
    if size is None:
        return None
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL)
    for start in range(0, size, SLICE):
        # SQL's substring counts from 1.
        out.write(session.scalar(select(func.substr(AttachmentContent.content, start + 1, SLICE))
                                 .where(AttachmentContent.sha256 == sha)))
    out.seek(0)
    return out


def remove(session: Session, ctx: EngineContext, shas: list[str]) -> int:
    """Remove the bytes of ``shas`` (the caller checked no row refers to them); return how many were there."""
    if in_database(session, ctx):
        return session.execute(delete(AttachmentContent).where(AttachmentContent.sha256.in_(shas))).rowcount
    removed = 0
    for sha in shas:
        path = _file(ctx, sha)
        if path.exists():
            path.unlink()
            removed += 1
    return removed


def copy_to_database(session: Session, ctx: EngineContext, shas: list[str]) -> int:
    """Move the files of ``shas`` from the instance folder into the database (``lincah attachments
    to-database``, when an installation on one host becomes several); return how many were copied."""
    copied = 0
    for sha in shas:
        path = _file(ctx, sha)
        if path.is_file():
            content = path.read_bytes()
            copied += _INSERT.execute(session, {"sha256": sha, "size": len(content), "content": content})
    return copied
