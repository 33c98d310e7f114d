"""A batch's writes joined into one statement on PostgreSQL (``engine.storage.joined_writes``): fewer statements, the
same result as one after another — including where one write must see another's rows, which then go apart."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import psycopg as postgresql_psycopg

from engine.errors import Conflict
from engine.storage import joined_writes, sql
from engine.storage.models import Notification
from engine.storage.sql import InsertRows, Prepared
from tests.engine.test_sql import AT, BY_KIND, COLUMNS, EVENTS, INSERT_EVENT, RENAME_ACTOR, _event, trace_of

NOTIFICATIONS = Notification.__table__
NOTIFY = InsertRows(NOTIFICATIONS, ("kind", "recipient", "subject", "body", "created_at", "data", "dedupe_key",
                                    "attempts"), skip_duplicates_of="dedupe_key")
RENAME_ELEMENT = Prepared(update(EVENTS).where(EVENTS.c.kind == bindparam("b_kind")), columns=("element_id",))
PG = postgresql_psycopg.dialect(dbapi=postgresql_psycopg.dialect.import_dbapi())  # as create_engine makes it


def _notice(key: str) -> dict:
    return {"kind": "info", "recipient": "andi", "subject": "Berkas", "body": "100% lengkap", "created_at": AT,
            "data": {}, "dedupe_key": key, "attempts": 0}


def _shape(statement) -> tuple[str, str] | None:
    return joined_writes.shape(statement, PG)


def test_only_plain_writes_of_one_table_may_join():
    assert _shape(RENAME_ACTOR._statement) == ("event", "update")
    assert _shape(INSERT_EVENT._statement(PG.name, 1)._statement) == ("event", "insert")
    assert _shape(NOTIFY._statement(PG.name, 1)._statement) == ("notification", "upsert")
    reads_another = update(EVENTS).where(EVENTS.c.instance_id.in_(select(NOTIFICATIONS.c.instance_id)))
    assert _shape(reads_another) is None
    assert _shape(RENAME_ACTOR._statement.returning(EVENTS.c.id)) is None
    assert _shape(select(EVENTS)) is None
    assert joined_writes.shape(RENAME_ACTOR._statement, sqlite.dialect()) is None  # SQLite writes each at once


def test_a_write_that_reads_its_table_does_not_join_an_earlier_write_to_it():
    update_task, insert_task, upsert_task = ("task", "update"), ("task", "insert"), ("task", "upsert")
    event, instance = ("event", "insert"), ("instance", "update")
    # The step's writes: close the task, events, the state, the next task, a notice — one statement.
    step = [update_task, event, instance, insert_task, ("notification", "upsert")]
    assert joined_writes.runs(step) == [range(0, 5)]
    # An UPDATE after an INSERT to its table must see the row: it starts the next statement; so does an ON CONFLICT.
    assert joined_writes.runs([insert_task, update_task, event]) == [range(0, 1), range(1, 3)]
    assert joined_writes.runs([insert_task, upsert_task]) == [range(0, 1), range(1, 2)]
    assert joined_writes.runs([update_task, update_task]) == [range(0, 1), range(1, 2)]
    # A write that goes alone (an executemany, a shape of None) splits the run around it.
    assert joined_writes.runs([event, None, event, event]) == [range(0, 1), range(1, 2), range(2, 4)]
    most = joined_writes.MOST
    assert joined_writes.runs([event] * (most + 1)) == [range(0, most), range(most, most + 1)]
    assert joined_writes.runs([]) == []


def test_the_joined_statement_numbers_each_parts_parameters_and_keeps_literal_percent_signs():
    joined, order = joined_writes.statement((
        "UPDATE event SET actor=%(actor)s WHERE event.kind = %(b_kind)s AND event.actor <> %(actor)s",
        "INSERT INTO notification (body, subject) VALUES ('100%%', %(actor)s)"))
    assert joined == ("WITH w0 AS (UPDATE event SET actor=$1 WHERE event.kind = $2 AND event.actor <> $1 RETURNING 1), "
                      "w1 AS (INSERT INTO notification (body, subject) VALUES ('100%', $3) RETURNING 1) "
                      "SELECT (SELECT count(*) FROM w0), (SELECT count(*) FROM w1)")
    assert order == ((0, "actor"), (0, "b_kind"), (1, "actor"))
    assert joined_writes.parameters(order, [{"actor": "kadis", "b_kind": "k"}, {"actor": "vera"}]) == \
        ("kadis", "k", "vera")


def _statements(session, action) -> int:
    """How many statements ``action`` sent PostgreSQL: the Bind messages in libpq's trace."""
    return sum(1 for line in trace_of(session, action) if line.startswith("F") and "\tBind\t" in line)


def test_a_batch_is_one_statement_on_postgresql_and_writes_what_the_writes_one_by_one_write(db):
    with db.transaction() as session:
        INSERT_EVENT.execute(session, _event("filed"))

    def writes(session) -> None:
        RENAME_ACTOR.write(session, {"b_kind": "filed", "actor": "kadis"}, expect=1, conflict=Conflict("lost race"))
        INSERT_EVENT.write(session, [_event("decided"), _event("decided", actor="rudi")])
        NOTIFY.write(session, _notice("berkas-1"))

    with db.transaction() as session:
        def batched() -> None:
            with sql.batch(session):
                writes(session)

        sent = _statements(session, batched) if db.backend == "postgresql" else batched()
        if db.backend == "postgresql":
            assert sent == 1
    with db.transaction() as session:
        assert [row[2] for row in BY_KIND.rows(session, {"b_kind": "filed"})] == ["kadis"]
        assert [row[2] for row in BY_KIND.rows(session, {"b_kind": "decided"})] == ["vera", "rudi"]
        assert session.scalar(select(Notification.body).where(Notification.dedupe_key == "berkas-1")) == "100% lengkap"


def test_a_write_that_must_see_an_earlier_ones_rows_sees_them(db):
    """Inserted, then changed, then inserted again under ON CONFLICT, in one batch: as one after another."""
    with db.transaction() as session, sql.batch(session):
        INSERT_EVENT.write(session, _event("new"))
        RENAME_ACTOR.write(session, {"b_kind": "new", "actor": "kadis"}, expect=1, conflict=Conflict("not seen"))
        RENAME_ELEMENT.write(session, {"b_kind": "new", "element_id": "Task_Sign"}, expect=1,
                             conflict=Conflict("not seen"))
        NOTIFY.write(session, _notice("sekali"))
        NOTIFY.write(session, _notice("sekali"))  # skipped: the earlier one is there
    with db.transaction() as session:
        (row,) = BY_KIND.rows(session, {"b_kind": "new"})
        assert (row[2], row[7]) == ("kadis", "Task_Sign")
        assert session.scalar(select(Notification.id).where(Notification.dedupe_key == "sekali")) is not None


@pytest.mark.parametrize("lost", [0, 1])
def test_a_lost_race_in_a_joined_statement_raises_that_writes_conflict_and_keeps_nothing(db, lost):
    with db.transaction() as session:
        INSERT_EVENT.execute(session, _event("held"))
    kinds = ["held", "held"]
    kinds[lost] = "absent"  # the first or the last check finds no row
    with pytest.raises(Conflict, match=f"lost race {lost}"), db.transaction() as session, sql.batch(session):
        RENAME_ACTOR.write(session, {"b_kind": kinds[0], "actor": "kadis"}, expect=1, conflict=Conflict("lost race 0"))
        INSERT_EVENT.write(session, _event("kept?"))
        RENAME_ELEMENT.write(session, {"b_kind": kinds[1], "element_id": "Task_X"}, expect=1,
                             conflict=Conflict("lost race 1"))
    with db.transaction() as session:
        assert BY_KIND.rows(session, {"b_kind": "kept?"}) == []
        assert [row[2] for row in BY_KIND.rows(session, {"b_kind": "held"})] == ["vera"]


def test_columns_of_the_events_statement_are_all_written():
    # The joined statement's parameters come from each write's own: every column of an INSERT is one of them.
    joined, order = joined_writes.statement((INSERT_EVENT._statement(PG.name, 1)._for(PG).sql,))
    assert {name for _part, name in order} == set(COLUMNS)
    assert joined.count("$") == len(COLUMNS)
