"""Database engines and sessions: SQLite (embedded default, WAL) or PostgreSQL (psycopg 3)."""

from __future__ import annotations

import functools
import math
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import orjson
import psycopg
from sqlalchemy import create_engine, event, make_url
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from engine.config import DATA_ROOT, Settings
from engine.errors import ProcessError, RecordedRefusal


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


@dataclass(frozen=True)
class Timeouts:
    """How long work on PostgreSQL may wait before it fails, in seconds (0: no limit). Defaults: ``Settings``.

    Without them a frozen or unreachable server held every request (health checks included) until the operating
    system gave up, and the web workers with it. ``connect`` bounds opening a connection (psycopg counts whole
    seconds, at least 2); ``statement`` and ``lock`` are enforced by the server (``statement_timeout``,
    ``lock_timeout``); ``pool`` bounds the wait for a free pooled connection. A server that stops answering at all
    cannot enforce anything, so the client gives up on an answer ``ANSWER_GRACE`` seconds after the statement
    timeout and closes that connection.
    """

    connect: float = Settings.db_connect_timeout
    statement: float = Settings.db_statement_timeout
    lock: float = Settings.db_lock_timeout
    pool: float = Settings.db_pool_timeout

    @classmethod
    def of(cls, settings: Settings) -> Timeouts:
        return cls(settings.db_connect_timeout, settings.db_statement_timeout, settings.db_lock_timeout,
                   settings.db_pool_timeout)

    @property
    def answer(self) -> float | None:
        """Seconds the client waits for any answer from the server (``None``: for ever)."""
        return self.statement + ANSWER_GRACE if self.statement > 0 else None


# Time for the server to report its own statement timeout (and the answer to travel) before the client decides
# that the server is gone.
ANSWER_GRACE = 2.0


def engine_for(settings: Settings, **kwargs) -> Engine:
    """The engine of an installation: its database URL with its timeouts."""
    return make_engine(settings.database_url, timeouts=Timeouts.of(settings), **kwargs)


def make_engine(url: str, *, ping_after_idle: float = PING_AFTER_IDLE, timeouts: Timeouts = Timeouts(),
                **kwargs) -> Engine:
    """An engine for ``url``; on PostgreSQL with ``timeouts`` (a value the URL itself sets wins)."""
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
    if url.startswith("postgresql"):
        kwargs["connect_args"] = {**_server_limits(url, timeouts), **kwargs.get("connect_args", {})}
        if timeouts.pool > 0:
            kwargs.setdefault("pool_timeout", timeouts.pool)
    engine = create_engine(url, **kwargs)
    if url.startswith("postgresql+psycopg"):
        _answer_within(engine, timeouts.answer)
    if not kwargs.get("pool_pre_ping"):
        _ping_idle_connections(engine, ping_after_idle)
    return engine


def _server_limits(url: str, timeouts: Timeouts) -> dict:
    """libpq connection parameters for the timeouts, merged with the ``options`` the URL may already carry."""
    query = make_url(url).query
    limits = {}
    if timeouts.connect > 0 and "connect_timeout" not in query:
        limits["connect_timeout"] = max(2, math.ceil(timeouts.connect))
    settings = [f"-c {name}={int(seconds * 1000)}" for name, seconds in
                (("statement_timeout", timeouts.statement), ("lock_timeout", timeouts.lock)) if seconds > 0]
    if settings:
        own = query.get("options") or ()
        # Later settings win in PostgreSQL's options: what the URL says is kept over these defaults.
        limits["options"] = " ".join([*settings, *((own,) if isinstance(own, str) else own)])
    return limits


class NoAnswer(psycopg.OperationalError):
    """The server did not answer within the client's bound (``Timeouts.answer``); the connection was closed."""


class _AnsweringConnection(psycopg.Connection):
    """A psycopg connection that stops waiting for the server after ``answer_timeout`` seconds.

    psycopg waits for an answer for ever; a frozen server (a paused VM, a hung storage, a network that drops
    packets) then holds the request, its web worker and its pooled connection. Past the deadline the connection is
    closed, so SQLAlchemy sees a disconnect: the request fails with ``OperationalError`` (answered 503) and the pool
    replaces its connections.
    """

    answer_timeout: float | None = None

    def wait(self, gen, interval: float = 0.1, timeout: float | None = None):
        if timeout is None:
            timeout = self.answer_timeout
        try:
            return super().wait(gen, interval, timeout)
        except psycopg.errors._WaitTimeout:  # noqa: SLF001 - psycopg's own signal that ``timeout`` passed
            self.pgconn.finish()
            raise NoAnswer(f"the database server did not answer within {timeout:g} s") from None


def _answer_within(engine: Engine, seconds: float | None) -> None:
    @event.listens_for(engine, "do_connect")
    def _connect(dialect, record, cargs, cparams):
        connection = _AnsweringConnection.connect(*cargs, **cparams)
        connection.answer_timeout = seconds
        return connection


@contextmanager
def answer_within(connection, seconds: float):
    """Within the block, wait at most ``seconds`` for each answer on this SQLAlchemy connection (PostgreSQL)."""
    dbapi_connection = connection.connection.dbapi_connection
    if not isinstance(dbapi_connection, _AnsweringConnection):
        yield
        return
    before = dbapi_connection.answer_timeout
    dbapi_connection.answer_timeout = seconds
    try:
        yield
    finally:
        dbapi_connection.answer_timeout = before


# PostgreSQL's answer when two transactions wait on each other (40P01) or cannot both be serialized (40001): a race
# the database settled by undoing one of them, not a database that is down.
LOST_RACE_STATES = frozenset({"40P01", "40001"})


def lost_race(error: BaseException) -> bool:
    """Whether the database undid this transaction because another one touched the same rows (retry or 409)."""
    return isinstance(error, sa_exc.DBAPIError) and getattr(error.orig, "sqlstate", None) in LOST_RACE_STATES


def unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot serve right now — down, frozen, overloaded, or a lock or
    statement timeout — so that the answer is "try again later" (503), not a bug report.

    That is: SQLAlchemy's ``OperationalError`` and ``InterfaceError`` (refused or lost connections, timeouts, SQLite's
    "database is locked") except lost races, any driver error on a connection SQLAlchemy found dead, no pooled
    connection free within the pool timeout, and a session still holding such a failure (``PendingRollbackError``).
    """
    if isinstance(error, sa_exc.TimeoutError | sa_exc.PendingRollbackError):
        return True
    if not isinstance(error, sa_exc.DBAPIError) or lost_race(error):
        return False
    return error.connection_invalidated or isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError)


# The server cancelled one statement (statement_timeout) or gave up waiting for a lock (lock_timeout): the database
# answers; this one piece of work took too long.
_STATEMENT_LIMIT_STATES = frozenset({"57014", "55P03"})


def over_time_limit(error: BaseException) -> bool:
    """Whether the server cancelled the statement for its statement or lock timeout (the server itself is up)."""
    return isinstance(error, sa_exc.DBAPIError) and getattr(error.orig, "sqlstate", None) in _STATEMENT_LIMIT_STATES


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
    except (ProcessError, RecordedRefusal):  # a refusal recorded for the office is kept too
        session.commit()
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def reading(factory: sessionmaker[Session]):
    """A session for reads only, for the busiest read (the inbox, ``api.views.tasks_hot_path``).

    On PostgreSQL its statements run without a transaction around them (autocommit): no ``BEGIN`` and no ``COMMIT``,
    two round trips of an inbox page's four. What the reads see does not change: under READ COMMITTED each statement
    takes its own snapshot inside a transaction too. Nothing may be written through it. On SQLite, which has no round
    trips to save, it is a plain ``transaction``.
    """
    engine = factory.kw["bind"]
    if engine.dialect.name != "postgresql":
        with transaction(factory) as session:
            yield session
        return
    with engine.connect() as connection:
        session = factory(bind=connection.execution_options(isolation_level="AUTOCOMMIT"))
        try:
            yield session
        finally:
            session.close()


MIGRATIONS = DATA_ROOT / "migrations"


def alembic_config(url: str):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply the Alembic migrations (``lincah db upgrade``).

    Without the statement and lock timeouts requests have: building an index over a large table may take minutes,
    and a migration cut off half-way would only be rolled back and tried again.
    """
    from alembic import command

    engine = make_engine(url, timeouts=Timeouts(statement=0, lock=0))
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # SQLite changes a table's columns or constraints by copying it and dropping the old one
                # (Alembic's batch mode); with foreign keys enforced, that DROP cascades to every child row — an
                # upgrade that adds a column to user_account would delete the accounts' tokens and sessions. The
                # keys are checked once the migrations are done instead. Sent on the driver before any
                # transaction (this engine begins every one with BEGIN IMMEDIATE; SQLite ignores the pragma inside).
                raw = connection.connection.dbapi_connection
                raw.execute("PRAGMA foreign_keys=OFF")
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            if sqlite:
                broken = raw.execute("PRAGMA foreign_key_check").fetchall()
                raw.execute("PRAGMA foreign_keys=ON")
                if broken:
                    raise RuntimeError(f"the migrations left rows whose foreign keys point nowhere: {broken[:5]}")
    finally:
        engine.dispose()


@functools.cache
def head_revision() -> str:
    """The newest migration's revision (what ``lincah db upgrade`` brings a database to)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def schema_revision(session: Session) -> str | None:
    """The migration revision the database is at; ``None`` when it was never migrated."""
    from alembic.migration import MigrationContext

    return MigrationContext.configure(session.connection()).get_current_revision()
