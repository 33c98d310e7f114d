"""Writes that bypass the ORM (``engine.storage.sql``) inside ``session.begin_nested()``: the remembered connection
is the savepoint's, so what a rolled-back savepoint wrote is gone and what the outer transaction wrote stays —
also when the savepoint's first statement is such a write (SQLAlchemy sends the SAVEPOINT lazily)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, select

from engine.storage import sql
from engine.storage.models import Event
from engine.storage.sql import InsertRows, Prepared

EVENTS = Event.__table__
INSERT_EVENT = InsertRows(EVENTS, ("kind", "actor", "at", "data"))
KINDS = Prepared(select(EVENTS.c.kind).where(EVENTS.c.actor == bindparam("b_actor")).order_by(EVENTS.c.id))
AT = datetime(2026, 8, 17, 1, 30, tzinfo=UTC)


class Refused(Exception):
    pass


def _event(kind: str) -> dict:
    return {"kind": kind, "actor": "savepoint-test", "at": AT, "data": {}}


def _kinds(db) -> list[str]:
    with db.transaction() as session:
        return [row[0] for row in KINDS.rows(session, {"b_actor": "savepoint-test"})]


@pytest.mark.parametrize("batched", [False, True], ids=["at once", "in a batch"])
def test_a_rolled_back_savepoint_takes_back_the_writes_sent_through_the_remembered_connection(db, batched):
    with db.transaction() as session:
        INSERT_EVENT.execute(session, _event("before"))  # the outer transaction's connection is now remembered
        with pytest.raises(Refused):
            with session.begin_nested():
                if batched:
                    with sql.batch(session):
                        INSERT_EVENT.write(session, _event("inside"))
                else:
                    INSERT_EVENT.execute(session, _event("inside"))
                raise Refused
        INSERT_EVENT.execute(session, _event("after"))
    assert _kinds(db) == ["before", "after"]


def test_a_kept_savepoint_keeps_its_writes_and_the_outer_transaction_goes_on(db):
    with db.transaction() as session:
        INSERT_EVENT.execute(session, _event("before"))
        with session.begin_nested():
            INSERT_EVENT.execute(session, _event("inside"))
        with pytest.raises(Refused), session.begin_nested():
            INSERT_EVENT.execute(session, _event("dropped"))
            raise Refused
        INSERT_EVENT.execute(session, _event("after"))
    assert _kinds(db) == ["before", "inside", "after"]
