"""A service definition read beside its application on every step, without its never-changing columns.

A step needs its application's definition for the settings the engine took from the diagram (``meta``: each
step's SLA, choices, letters, notices), the form map and the names. Read with the task on every step, they were a
third of that read: the research permit's ``meta`` is 7 KB of JSON, detoasted and sent by PostgreSQL and decoded by
the client each time (the read 360 → 234 µs on PostgreSQL without the definition's columns, measured on the bench's
data). They never change once a version is deployed — a change is a new version, a new row — so a process keeps
one copy of them per row, named by the row's ``content_id``, and the step's read carries only the columns that can
change (``status``, ``published_at``) and that key. The first step of a definition in a process reads the rest
once more (``_CONTENT``).

The key is random and never reused (``ServiceDefinition.content_id``): a copy can never stand for another row, of
another database or one deployed again with the same id, as an id or a timestamp could. The copy's values are shared
by every ORM object attached from it: nothing may change them in place (nothing does; a change of a service is a
new version).
"""

from __future__ import annotations

import threading

from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm import Session

from engine.storage.models import ServiceDefinition
from engine.storage.sql import Prepared, attach

_DEFINITIONS = ServiceDefinition.__table__
# What may change on a row after it is deployed (publishing and retiring a version), and what names it.
CHANGING = ("id", "status", "published_at", "content_id")
# The columns a step reads from the definition row itself: select them in its read, in this order.
COLUMNS = tuple(_DEFINITIONS.c[key] for key in CHANGING)
# The rest of what the ORM loads with a definition (the large texts are deferred: a step never needs them).
_KEPT = tuple(prop.key for prop in inspect(ServiceDefinition).column_attrs
              if not prop.deferred and prop.key not in CHANGING)
_CONTENT = Prepared(select(*(_DEFINITIONS.c[key] for key in _KEPT)).where(_DEFINITIONS.c.id == bindparam("b_id")))

# Versions deployed over an installation's life are a few hundred; past this many the copies start over.
MOST = 1024
_kept: dict[str, dict] = {}
_lock = threading.Lock()


def attach_definition(session: Session, values: tuple) -> ServiceDefinition:
    """The definition whose ``COLUMNS`` are ``values`` (in that order), as the ORM object ``session`` holds — the
    one it already holds, if any — with its never-changing columns from this process's copy."""
    changing = dict(zip(CHANGING, values, strict=True))
    held = session.identity_map.get(session.identity_key(ServiceDefinition, changing["id"]))
    if held is not None:
        return held
    return attach(session, ServiceDefinition, {**_content(session, changing["id"], changing["content_id"]),
                                               **changing})


def _content(session: Session, definition_id: int, content_id: str) -> dict:
    found = _kept.get(content_id)
    if found is not None:
        return found
    (row,) = _CONTENT.rows(session, {"b_id": definition_id})
    found = dict(zip(_KEPT, row, strict=True))
    with _lock:
        if len(_kept) >= MOST:
            _kept.clear()
        _kept[content_id] = found
    return found
