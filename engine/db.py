"""Database engines and sessions: SQLite (embedded default, WAL) or PostgreSQL (psycopg 3)."""

from __future__ import annotations

import functools
import time
from contextlib import contextmanager
from pathlib import Path

import orjson
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from .config import PROJECT_ROOT
from .errors import ProcessError


def normalize_url(url: str) -> str:
    """Accept the URLs people paste (``postgresql://``, ``postgres://``) and use psycopg 3 for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _json_dumps(value) -> str:
    return orjson.dumps(value).decode()


# A pooled server connection is checked before use only after it sat idle this long (seconds): long enough for a
# server restart, a firewall or an idle timeout to have dropped it unnoticed. Checking every checkout (SQLAlchemy's
# pool_pre_ping) cost a round trip per request and per step of a busy office, for connections used a moment ago.
PING_AFTER_IDLE = 10.0
_IDLE_SINCE = "lincah.idle_since"


def make_engine(url: str, *, ping_after_idle: float = PING_AFTER_IDLE, **kwargs) -> Engine:
    url = normalize_url(url)
    # JSON columns (definition settings, audit data) are decoded on every step: orjson is several times faster.
    kwargs.setdefault("json_serializer", _json_dumps)
    kwargs.setdefault("json_deserializer", orjson.loads)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # The driver's own transaction handling is switched off so that every transaction can start with
        # BEGIN IMMEDIATE: a read-then-write transaction in WAL mode would otherwise fail with "database is
        # locked" instead of waiting its turn when two officers act at the same moment.
        engine = create_engine(url, connect_args={"isolation_level": None, "timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _begin_immediate)
        return engine
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_idle_connections(engine, ping_after_idle)
    return engine


def _ping_idle_connections(engine: Engine, idle_seconds: float) -> None:
    """Check a connection taken from the pool if it was idle for ``idle_seconds``; replace it when it is dead.

    Raising ``DisconnectionError`` at checkout makes the pool discard the connection and open a new one (SQLAlchemy's
    documented pessimistic disconnect handling), so a request never fails on a connection the server closed while
    it was idle. A connection that dies while in steady use fails that one statement; SQLAlchemy then invalidates
    the pool, and the next request connects afresh.
    """

    @event.listens_for(engine, "checkin")
    def _idle_from_now(dbapi_connection, record):
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _alive_if_idle(dbapi_connection, record, proxy):
        since = record.info.pop(_IDLE_SINCE, None)
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # noqa: BLE001 - whatever the driver raises, the connection is unusable
            raise DisconnectionError(f"pooled connection idle for {idle_seconds:g}s or more is dead: {exc}") from exc


def _begin_immediate(conn) -> None:
    # Straight on the driver: a statement through SQLAlchemy's execution machinery cost more than SQLite's own work.
    conn.connection.dbapi_connection.execute("BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]):
    """One unit of work: commit on success, roll back on any exception.

    A ``ProcessError`` is the exception: the step itself wrote nothing, but the application has been flagged
    ``error`` (with the element id and message) and that flag must be kept for an administrator to see.
    """
    session = factory()
    try:
        yield session
        session.commit()
    except ProcessError:
        session.commit()
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


MIGRATIONS = PROJECT_ROOT / "migrations"


def alembic_config(url: str):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply the Alembic migrations (``lincah db upgrade``)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


@functools.cache
def head_revision() -> str:
    """The newest migration's revision (what ``lincah db upgrade`` brings a database to)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def schema_revision(session: Session) -> str | None:
    """The migration revision the database is at; ``None`` when it was never migrated."""
    from alembic.migration import MigrationContext

    return MigrationContext.configure(session.connection()).get_current_revision()
