"""The append-only audit log. Every decision is recorded with its actor and time; rows are never updated."""

from __future__ import annotations

from sqlalchemy.orm import Session

from engine.observability import current_request_id
from engine.storage.models import Event
from engine.storage.sql import InsertRows

# Prepared once: every step appends events, and SQLAlchemy's per-statement work cost more than the INSERT itself.
_INSERT = InsertRows(Event.__table__, ("kind", "actor", "at", "instance_id", "definition_id", "task_id",
                                            "element_id", "data"))


def entry(kind: str, *, actor: str | None, at, instance_id: int | None = None, definition_id: int | None = None,
          task_id: str | None = None, element_id: str | None = None, **data) -> dict:
    """One event as a row, for ``record_all``; its data carries the request id (or scheduler run) that wrote it."""
    request_id = current_request_id()
    if request_id is not None:
        data.setdefault("request_id", request_id)
    return {"kind": kind, "actor": actor, "at": at, "instance_id": instance_id, "definition_id": definition_id,
            "task_id": task_id, "element_id": element_id, "data": _jsonable(data)}


def record(session: Session, kind: str, **fields) -> None:
    """Append one event in the caller's transaction (a plain INSERT: events are never loaded to be changed)."""
    _INSERT.write(session, entry(kind, **fields))


def record_all(session: Session, *entries: dict) -> None:
    """Append several events in one statement."""
    _INSERT.write(session, list(entries))


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
