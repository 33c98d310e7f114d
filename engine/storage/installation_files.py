"""Files every app host of one installation must share besides rows: the generated session key and the offices'
calendars. With PostgreSQL (several stateless app hosts) they live in the ``installation_file`` table; each host
keeps a copy in its instance folder, refreshed from the table, because the code that reads them (Flask's cookie
signing, ``OfficeCalendars``) reads a file or a value once — and so a host restarted while the database is down
still starts with the last copy it had. With SQLite (one host) the instance folder is the only place.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.config import Settings
from engine.storage.models import InstallationFile
from engine.storage.sql import InsertRows

SESSION_KEY = "secret_key"
CALENDARS = "calendars.toml"

_INSERT = InsertRows(InstallationFile.__table__, ("name", "content", "updated_at"), skip_duplicates_of="name")


def documents_in_database(settings: Settings, dialect_name: str) -> bool:
    """Whether uploaded documents' bytes are kept in the database (``LINCAH_ATTACHMENT_STORE``; auto: on
    PostgreSQL) rather than in the instance folder."""
    if settings.attachment_store == "auto":
        return dialect_name == "postgresql"
    return settings.attachment_store == "database"


def shared(session: Session) -> bool:
    """Whether this installation shares its files through the database (PostgreSQL)."""
    return session.get_bind().dialect.name == "postgresql"


def read(session: Session, name: str) -> tuple[bytes, datetime] | None:
    """The content of ``name`` and when it was last changed, or ``None``."""
    row = session.execute(select(InstallationFile.content, InstallationFile.updated_at)
                          .where(InstallationFile.name == name)).first()
    return (bytes(row.content), row.updated_at) if row else None


def write(session: Session, name: str, content: bytes, at: datetime | None = None) -> None:
    """Store ``content`` as ``name`` (replacing what was there), in the caller's transaction."""
    row = session.get(InstallationFile, name)
    at = at or datetime.now(UTC)
    if row is None:
        session.add(InstallationFile(name=name, content=content, updated_at=at))
    else:
        row.content, row.updated_at = content, at
    session.flush()


def generated_once(session: Session, name: str, make) -> bytes:
    """The content of ``name``, made by ``make()`` by whichever host asks first: two hosts asking at the same
    moment both get the one that was stored (an insert that skips a duplicate, then a read)."""
    _INSERT.execute(session, {"name": name, "content": make(), "updated_at": datetime.now(UTC)})
    return read(session, name)[0]


def copy_to(path: Path, content: bytes) -> bool:
    """Write ``content`` to ``path`` unless it holds it already (atomically: readers see the old or the new file,
    never half of one); return whether the file changed."""
    path = Path(path)
    try:
        if path.read_bytes() == content:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    with os.fdopen(fd, "wb") as out:
        out.write(content)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return True
