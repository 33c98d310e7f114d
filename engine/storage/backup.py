"""``lincah backup DIR`` / ``lincah restore DIR``: an installation (database + instance folder) in one folder.

Why a logical dump and not ``pg_dump`` or a copy of the SQLite file: one format for both databases, readable by the
same code on any machine (no client tools of the server's exact version needed), and a backup of the embedded
SQLite installation restores into PostgreSQL — the usual way an office outgrows one machine.

The folder holds ``manifest.json`` (format, schema revision, rows and SHA-256 per table, every file with its SHA-256),
``db/<table>.jsonl.gz`` (one JSON object per row, values encoded by column type) and ``files/`` (the instance folder
without the SQLite database: attachments, the generated secret key, calendars).

Consistency: every table is read inside one read transaction (PostgreSQL ``REPEATABLE READ``; SQLite's WAL gives a
snapshot to a read transaction), and files are copied after the rows, so every stored attachment row finds its file
(a file is written before the row that names it is committed). Restore is all or nothing: the backup is verified
against its manifest first, every row goes in one transaction into an empty database at the same schema revision,
and the files are copied only after that transaction committed.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import orjson
from sqlalchemy import Table, func, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.types import JSON, Date, DateTime, LargeBinary, Numeric

from engine.config import Settings
from engine.errors import LincahError
from engine.storage.installation_files import documents_in_database
from engine.storage.models import AttachmentContent, Base, UTCDateTime

FORMAT = "lincah-backup/1"
BATCH = 500
# The SQLite database is dumped row by row; copying its file too would restore a second, stale copy.
_DATABASE_FILES = ("lincah.db", "lincah.db-wal", "lincah.db-shm", "lincah.db-journal")

Progress = Callable[[str, int], None]  # (what, how many rows or files just done)


class BackupError(LincahError):
    """A backup that cannot be written, or one that cannot (or must not) be restored; the message says why."""


@dataclass(frozen=True)
class Summary:
    tables: dict[str, int]
    files: int
    revision: str


def tables() -> list[Table]:
    # Parents before children, so a restore satisfies every foreign key as it goes.
    return list(Base.metadata.sorted_tables)


def _revision(connection: Connection) -> str:
    try:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    except Exception as exc:  # no table, or no row: the database was never migrated
        raise BackupError("the database has no schema revision: run `lincah db upgrade` first") from exc


def _encode(column_type, value):
    if value is None:
        return None
    if isinstance(column_type, LargeBinary):
        return base64.b64encode(value).decode()
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _decode(column_type, value):
    if value is None:
        return None
    if isinstance(column_type, LargeBinary):
        return base64.b64decode(value)
    if isinstance(column_type, JSON):
        return value
    if isinstance(column_type, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(column_type, Date):
        return date.fromisoformat(value)
    if isinstance(column_type, Numeric) and isinstance(value, str):
        return Decimal(value)
    return value


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _instance_files(instance: Path) -> Iterator[Path]:
    if not instance.is_dir():
        return
    for path in sorted(instance.rglob("*")):
        if path.is_file() and not path.is_symlink() and path.name not in _DATABASE_FILES:
            yield path


def backup(engine: Engine, settings: Settings, destination: Path, progress: Progress = lambda what, n: None) -> Summary:
    """Write the installation into ``destination`` (new or empty). Raises ``BackupError`` when it cannot."""
    destination = Path(destination)
    if destination.exists() and any(destination.iterdir()):
        raise BackupError(f"{destination} is not empty: give a new folder, so no earlier backup is overwritten")
    (destination / "db").mkdir(parents=True, exist_ok=True)
    manifest: dict = {"format": FORMAT, "created_at": datetime.now(UTC).isoformat(), "backend": engine.dialect.name,
                      "tables": {}, "files": {}}
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            manifest["revision"] = _revision(connection)
            for table in tables():
                manifest["tables"][table.name] = _dump_table(connection, table, destination / "db", progress)
    instance = Path(settings.instance_path)
    for path in _instance_files(instance):
        relative = path.relative_to(instance)
        target = destination / "files" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        manifest["files"][relative.as_posix()] = {"sha256": _sha256(target), "size": target.stat().st_size}
        progress("files", 1)
    (destination / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return Summary(tables={name: entry["rows"] for name, entry in manifest["tables"].items()},
                   files=len(manifest["files"]), revision=manifest["revision"])


def _dump_table(connection: Connection, table: Table, folder: Path, progress: Progress) -> dict:
    path = folder / f"{table.name}.jsonl.gz"
    types = {column.name: column.type for column in table.columns}
    rows = 0
    # mtime=0: the same data gives the same bytes, so two backups of an unchanged installation compare equal.
    with gzip.GzipFile(path, "wb", mtime=0) as stream:
        result = connection.execution_options(yield_per=BATCH).execute(select(table))
        for batch in result.mappings().partitions():
            for row in batch:
                stream.write(orjson.dumps({name: _encode(types[name], value) for name, value in row.items()}))
                stream.write(b"\n")
            rows += len(batch)
            progress(table.name, len(batch))
    return {"rows": rows, "sha256": _sha256(path)}


def verify(source: Path) -> dict:
    """The manifest of the backup in ``source`` once every file in it matches its SHA-256; else ``BackupError``."""
    source = Path(source)
    try:
        manifest = json.loads((source / "manifest.json").read_text())
    except FileNotFoundError:
        raise BackupError(f"{source} holds no manifest.json: it is not a Lincah backup") from None
    except ValueError as exc:
        raise BackupError(f"{source}/manifest.json is not valid JSON ({exc})") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source} is a backup of format {manifest.get('format')!r}; this Lincah reads {FORMAT}")
    for name, entry in manifest["tables"].items():
        _check(source / "db" / f"{name}.jsonl.gz", entry["sha256"], f"table {name}")
    for relative, entry in manifest["files"].items():
        _check(source / "files" / relative, entry["sha256"], f"file {relative}")
    return manifest


def _check(path: Path, expected: str, what: str) -> None:
    if not path.is_file():
        raise BackupError(f"the backup is incomplete: {what} is missing ({path})")
    if _sha256(path) != expected:
        raise BackupError(f"the backup is damaged: {what} does not match its SHA-256 in manifest.json ({path})")


def restore(engine: Engine, settings: Settings, source: Path, progress: Progress = lambda what, n: None) -> Summary:
    """Load the backup in ``source`` into this installation, whose database must be empty and migrated to the
    backup's revision, and whose instance folder must hold no attachments yet. Raises ``BackupError``."""
    source = Path(source)
    manifest = verify(source)
    known = {table.name: table for table in tables()}
    unknown = sorted(set(manifest["tables"]) - set(known))
    if unknown:
        raise BackupError(f"the backup has tables this Lincah does not know ({', '.join(unknown)}): restore it with "
                          "the version that made it")
    instance = Path(settings.instance_path)
    clashes = [relative for relative in manifest["files"]
               if (instance / relative).exists() and not relative.startswith("secret_key")]
    if clashes:
        raise BackupError(f"the instance folder {instance} already holds {clashes[0]} (and {len(clashes) - 1} more): "
                          "restore into a new installation")
    with engine.begin() as connection:
        revision = _revision(connection)
        if revision != manifest["revision"]:
            raise BackupError(f"the backup is of schema revision {manifest['revision']}, this database is at "
                              f"{revision}: restore with the Lincah version that made the backup, then upgrade")
        for table in tables():
            if connection.execute(select(func.count()).select_from(table)).scalar_one():
                raise BackupError(f"the database is not empty (table {table.name} has rows): restore into a new "
                                  "database, so nothing in it is mixed with the backup")
        for table in tables():
            if table.name in manifest["tables"]:
                _load_table(connection, table, source / "db" / f"{table.name}.jsonl.gz", progress)
        if engine.dialect.name == "postgresql":
            _advance_sequences(connection)
        into_database = documents_in_database(settings, engine.dialect.name)
        documents = [relative for relative in manifest["files"] if into_database and _is_document(relative)]
        for relative in documents:
            # A backup of an installation that kept documents on disk, restored where they go in the database.
            sha = Path(relative).name
            if connection.execute(select(AttachmentContent.sha256).where(AttachmentContent.sha256 == sha)).first():
                continue  # the backup's own attachment_content table had it
            content = (source / "files" / relative).read_bytes()
            connection.execute(AttachmentContent.__table__.insert(),
                               {"sha256": sha, "size": len(content), "content": content})
            progress("files", 1)
    for relative in manifest["files"]:
        if relative in documents:
            continue
        target = instance / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / "files" / relative, target)
        progress("files", 1)
    return Summary(tables={name: entry["rows"] for name, entry in manifest["tables"].items()},
                   files=len(manifest["files"]), revision=manifest["revision"])


def _is_document(relative: str) -> bool:
    parts = Path(relative).parts
    return len(parts) == 3 and parts[0] == "attachments" and len(parts[2]) == 64 and parts[2].startswith(parts[1])


def _load_table(connection: Connection, table: Table, path: Path, progress: Progress) -> None:
    types = {column.name: column.type for column in table.columns}
    batch: list[dict] = []
    with gzip.open(path, "rb") as stream:
        for line in stream:
            row = orjson.loads(line)
            missing = set(row) - set(types)
            if missing:
                raise BackupError(f"table {table.name} in the backup has columns this Lincah does not know "
                                  f"({', '.join(sorted(missing))})")
            batch.append({name: _value_for(types[name], value) for name, value in row.items()})
            if len(batch) == BATCH:
                connection.execute(table.insert(), batch)
                progress(table.name, len(batch))
                batch = []
    if batch:
        connection.execute(table.insert(), batch)
        progress(table.name, len(batch))


def _value_for(column_type, value):
    decoded = _decode(_base_type(column_type), value)
    if isinstance(column_type, UTCDateTime) and decoded is not None and decoded.tzinfo is None:
        # A UTC column refuses naive values; a naive one in a backup was written as UTC.
        return decoded.replace(tzinfo=UTC)
    return decoded


def _base_type(column_type):
    impl = getattr(column_type, "impl", None)
    if impl is not None and not isinstance(column_type, (LargeBinary, JSON, DateTime, Date, Numeric)):
        return impl() if isinstance(impl, type) else impl
    return column_type


def _advance_sequences(connection: Connection) -> None:
    # Rows came in with their ids; the serial sequences must start after them or the next insert collides.
    for table in tables():
        for column in table.primary_key.columns:
            if column.autoincrement is True or (column.autoincrement == "auto" and column.type.python_type is int
                                                and len(table.primary_key.columns) == 1):
                sequence = connection.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                              {"t": table.name, "c": column.name}).scalar()
                if sequence:
                    connection.execute(text(f'SELECT setval(:s, COALESCE((SELECT MAX("{column.name}") FROM '
                                            f'"{table.name}"), 0) + 1, false)'), {"s": sequence})
