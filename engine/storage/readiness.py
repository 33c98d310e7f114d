"""Is the database ready? Asked within a deadline, for health checks.

A load balancer asks every few seconds and gives up after one or two; a check that waits as long as a request may
(``engine.storage.db.Timeouts``) is worse than none. So the question runs in a thread of its own and the caller waits at
most ``deadline`` seconds for it; the question itself asks the server to give up a little earlier (``SET LOCAL
statement_timeout``, and the client's own wait for an answer), so its connection comes back to the pool, or is
replaced, soon after. While one question is still out — the server is frozen — the next caller is told so at once
instead of starting a second thread: a frozen database never piles up threads here.

The question never uses a request's session, so a failure leaves no transaction behind to fail the request's
commit (``PendingRollbackError``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from engine.storage.db import NoAnswer, answer_within, schema_revision, unavailable

DEADLINE = 1.0
# The server's and the client's own limits for the question, under the caller's deadline.
_QUESTION_LIMIT = 0.8


class NotReady(Exception):
    """The database did not answer the question, or not in time; ``reason`` says which, for the person on call."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class _Question:
    answered: threading.Event
    revision: str | None = None
    error: BaseException | None = None


class DatabaseProbe:
    """Asks one session factory's database for its schema revision (``alembic_version``) within a deadline."""

    def __init__(self, factory: sessionmaker[Session], deadline: float = DEADLINE):
        self.factory = factory
        self.deadline = deadline
        self._lock = threading.Lock()
        self._out: _Question | None = None

    def schema_revision(self) -> str | None:
        """The migration revision (``None`` when never migrated); raises ``NotReady`` saying why not."""
        with self._lock:
            if self._out is not None and not self._out.answered.is_set():
                raise NotReady(f"The database has not answered the previous check (more than {self.deadline:g} s).")
            question = self._out = _Question(threading.Event())
        threading.Thread(target=self._ask, args=(question,), name="lincah-readiness", daemon=True).start()
        if not question.answered.wait(self.deadline):
            raise NotReady(f"The database did not answer within {self.deadline:g} s.")
        if isinstance(getattr(question.error, "orig", None), NoAnswer):
            raise NotReady(f"The database did not answer within {self.deadline:g} s.")
        if question.error is not None:
            raise NotReady(f"The database does not answer ({type(question.error).__name__}).")
        return question.revision

    def _ask(self, question: _Question) -> None:
        try:
            question.revision = _ask(self.factory)
        except Exception as exc:  # noqa: BLE001 - whatever failed, the answer is "not ready"; the caller says why
            question.error = exc
        finally:
            question.answered.set()


def _ask(factory: sessionmaker[Session]) -> str | None:
    engine = factory.kw["bind"]
    if engine.dialect.name == "sqlite":
        return _sqlite_revision(engine)
    session = factory()
    try:
        connection = session.connection()
        with answer_within(connection, _QUESTION_LIMIT):
            # A migration holding alembic_version, or a server too busy to answer, is "not ready" at once.
            connection.execute(text(f"SET LOCAL statement_timeout = {int(_QUESTION_LIMIT * 1000)}"))
            return schema_revision(session)
    finally:
        try:
            session.rollback()
        except Exception as exc:  # noqa: BLE001 - a connection the server dropped cannot roll back; the pool replaces it
            if not unavailable(exc):
                raise
        session.close()


def _sqlite_revision(engine) -> str | None:
    """Read straight on the driver: a transaction would start with BEGIN IMMEDIATE (``engine.storage.db``) and queue the
    check behind whoever is writing."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
                          ).fetchone() is None:
            return None
        row = cursor.execute("SELECT version_num FROM alembic_version").fetchone()
        return row[0] if row else None
    finally:
        raw.close()
