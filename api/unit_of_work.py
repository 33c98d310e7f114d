"""One database session per request, committed exactly when the engine's rule says so.

The rule is ``engine.storage.db.transaction``'s: commit when the view succeeded, and also when it failed with a
``ProcessError`` (the step wrote nothing, but the application was flagged ``error`` for an administrator);
roll back on any other error. The commit happens inside request dispatch, after the view built its answer and
before the answer leaves: a commit that fails (a lost race at the database) is still turned into a proper error
response, and an acknowledged request is always durable.
"""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from engine.context import EngineContext
from engine.errors import ProcessError, RecordedRefusal
from engine.storage.db import unavailable


class LincahFlask(Flask):
    def dispatch_request(self):
        try:
            response = super().dispatch_request()
        except (ProcessError, RecordedRefusal):  # a refusal recorded for the office is kept too
            _finish(commit=True)
            raise
        except BaseException:
            _finish(commit=False)
            raise
        _finish(commit=True)
        return response


def _finish(*, commit: bool) -> None:
    session = g.pop("db_session", None)
    if session is None:
        return
    try:
        if commit:
            session.commit()
        else:
            _roll_back(session)
    finally:
        session.close()


def _roll_back(session: Session) -> None:
    """Roll back after a failed request. When the database itself is what failed, the rollback may fail too; the
    request's own error is the one to answer (503), not the rollback's, and the pool replaces the connection."""
    try:
        session.rollback()
    except Exception as exc:
        if not unavailable(exc):
            raise


def session() -> Session:
    """The request's session, opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["lincah"]["session_factory"]()
    return g.db_session


def engine_context() -> EngineContext:
    return current_app.extensions["lincah"]["ctx"]


def commit_now() -> None:
    """Commit what the request did so far, for the rare answer that is an error yet must keep its writes."""
    if "db_session" in g:
        g.db_session.commit()


def close_session(_exc=None) -> None:
    """Teardown: a session still open here belongs to a request that ended before dispatch (e.g. failed auth)."""
    session = g.pop("db_session", None)
    if session is not None:
        try:
            _roll_back(session)
        finally:
            session.close()
