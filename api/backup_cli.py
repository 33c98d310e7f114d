"""``lincah backup DIR`` and ``lincah restore DIR``: an installation (database + instance folder) into one folder and
back (``engine/storage/backup.py`` says what the folder holds and why). Registered in ``api/cli.py``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy import func, select

from engine.config import Settings
from engine.storage import backup as backups
from engine.storage.db import engine_for, upgrade


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


def _bar(length: int, label: str):
    return click.progressbar(length=max(length, 1), label=label, show_pos=True, file=sys.stderr)


@click.command("backup", help="Write the database and the instance folder (attachments, keys, calendars) into DIR, "
               "a new or empty folder. Safe while Lincah runs: the rows are read as one consistent snapshot.")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def backup_command(directory: Path) -> None:
    settings = _settings()
    engine = engine_for(settings)
    try:
        with engine.connect() as connection:
            rows = sum(connection.execute(select(func.count()).select_from(table)).scalar_one()
                       for table in backups.tables())
        with _bar(rows, "backing up") as bar:
            summary = backups.backup(engine, settings, directory, lambda what, n: bar.update(n))
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()
    click.echo(f"backed up {sum(summary.tables.values())} rows in {len(summary.tables)} tables and "
               f"{summary.files} files (schema {summary.revision}) into {directory}")


@click.command("restore", help="Load a backup made by `lincah backup` into this installation: its database must be "
               "new (it is migrated first) or empty, and its instance folder must hold no attachments yet.")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def restore_command(directory: Path) -> None:
    settings = _settings()
    try:
        manifest = backups.verify(directory)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    upgrade(settings.database_url)
    engine = engine_for(settings)
    total = sum(entry["rows"] for entry in manifest["tables"].values()) + len(manifest["files"])
    try:
        with _bar(total, "restoring") as bar:
            summary = backups.restore(engine, settings, directory, lambda what, n: bar.update(n))
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()
    click.echo(f"restored {sum(summary.tables.values())} rows in {len(summary.tables)} tables and "
               f"{summary.files} files (schema {summary.revision}) from {directory}")
