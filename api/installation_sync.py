"""Keeping an app host in step with the installation's shared files (``engine/storage/installation_files.py``):
on PostgreSQL the session key and the offices' calendars live in the database, and every host copies them into its
instance folder — the calendars at start and every ``REFRESH`` seconds after (``OfficeCalendars`` reloads a changed
file by itself), the session key at the first request that reaches the database.

The copy is never needed for a host to start: with the database down, a host starts with the copies it has and
answers 503 until the database is back, then adopts the shared key.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from pathlib import Path

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from engine.context import EngineContext
from engine.storage import installation_files

log = logging.getLogger("lincah.installation")

REFRESH = 30.0


def refresh_calendars(ctx: EngineContext, factory) -> bool:
    """Copy the shared calendars into this host's calendars file; return whether it changed. Quiet when the
    database is unreachable or shares nothing (SQLite): the file this host has stays in force."""
    path = ctx.settings.calendars_path
    try:
        with factory() as session:
            if not installation_files.shared(session):
                return False
            stored = installation_files.read(session, installation_files.CALENDARS)
    except SQLAlchemyError as exc:
        log.warning("the shared calendars were not read (the database did not answer); this host keeps its "
                    "copy: %s", exc.__class__.__name__)
        return False
    if stored is None or path is None:
        return False
    changed = installation_files.copy_to(Path(path), stored[0])
    if changed:
        log.info("calendars updated from the database into %s", path)
    return changed


def local_session_key(path: Path) -> str:
    """This host's session key file, created on first use (the SQLite installation's only key)."""
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
                out.write(secrets.token_urlsafe(48))
        except FileExistsError:  # another worker wrote it first: use theirs
            pass
        return path.read_text(encoding="utf-8").strip()


def register(app: Flask, *, share_session_key: bool) -> None:
    """Adopt the shared session key (when this installation generates its own) and refresh the calendars."""
    ctx: EngineContext = app.extensions["lincah"]["ctx"]
    factory = app.extensions["lincah"]["session_factory"]
    lock = threading.Lock()
    state = {"key": not share_session_key, "calendars": time.monotonic()}

    def sync() -> None:
        now = time.monotonic()
        if state["key"] and now - state["calendars"] < REFRESH:
            return
        if not lock.acquire(blocking=False):
            return  # another thread of this process is at it
        try:
            if not state["key"]:
                state["key"] = _adopt_session_key(app, ctx, factory)
            if now - state["calendars"] >= REFRESH:
                state["calendars"] = now
                refresh_calendars(ctx, factory)
        finally:
            lock.release()

    app.before_request(sync)
    app.extensions["lincah"]["sync"] = sync  # api.engine_rest.hot_path runs below Flask's hooks and calls it too


def _adopt_session_key(app: Flask, ctx: EngineContext, factory) -> bool:
    path = Path(ctx.settings.instance_path) / installation_files.SESSION_KEY
    try:
        with factory() as session:
            if not installation_files.shared(session):
                return True
            # The first host to ask offers its own key, so the sessions it signed so far stay valid.
            key = installation_files.generated_once(session, installation_files.SESSION_KEY,
                                                    lambda: app.secret_key.encode())
            session.commit()
    except SQLAlchemyError:
        return False  # the database is down: this request gets its 503; the next one tries again
    app.secret_key = key.decode()
    installation_files.copy_to(path, key)
    return True
