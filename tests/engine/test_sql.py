"""Prepared statements and batched writes (``engine.storage.sql``): the same values SQLAlchemy itself would write and
read,
the statements in program order, lost races and database errors surfacing as they do without them."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta, timezone

import psycopg
import pytest
from sqlalchemy import bindparam, event, func, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from engine.errors import Conflict
from engine.storage import sql
from engine.storage.models import Event, Notification, User
from engine.storage.sql import InsertRows, Prepared, attach, set_loaded

EVENTS = Event.__table__
COLUMNS = ("kind", "actor", "at", "instance_id", "definition_id", "task_id", "element_id", "data")
AT = datetime(2026, 8, 17, 9, 30, 15, 250000, tzinfo=UTC)
WITA = timezone(timedelta(hours=8))
INSERT_EVENT = InsertRows(EVENTS, COLUMNS)
BY_KIND = Prepared(select(EVENTS).where(EVENTS.c.kind == bindparam("b_kind")).order_by(EVENTS.c.id))
RENAME_ACTOR = Prepared(update(EVENTS).where(EVENTS.c.kind == bindparam("b_kind")), columns=("actor",))


def _event(kind: str, **values) -> dict:
    return {"kind": kind, "actor": "vera", "at": AT, "instance_id": None, "definition_id": None, "task_id": None,
            "element_id": "Task_Verify", "data": {"note": "Lengkap", "files": [1, 2]}, **values}


def test_values_written_and_read_are_what_sqlalchemy_writes_and_reads(db):
    with db.transaction() as session:
        INSERT_EVENT.execute(session, _event("checked"))
    with db.transaction() as session:
        (row,) = BY_KIND.rows(session, {"b_kind": "checked"})
        orm = session.scalars(select(Event).where(Event.kind == "checked")).one()
    assert row[1:] == ("checked", "vera", AT, None, None, None, "Task_Verify", {"note": "Lengkap", "files": [1, 2]})
    assert row[3].tzinfo is not None and orm.at == AT and orm.data == {"note": "Lengkap", "files": [1, 2]}


def test_times_come_back_as_aware_utc_whatever_wrote_them(db):
    """The UTC column reads what SQLAlchemy wrote, and text written by hand (a bare date, an offset of its own)."""
    with db.transaction() as session:
        INSERT_EVENT.execute(session, _event("exact"))
        INSERT_EVENT.execute(session, _event("whole", at=AT.replace(microsecond=0)))
        INSERT_EVENT.execute(session, _event("wita", at=datetime(2026, 8, 17, 17, 30, tzinfo=WITA)))
    if db.backend == "sqlite":  # a column of SQLite takes any text, so these can be there
        with db.transaction() as session:
            session.execute(EVENTS.insert().values(kind="bare", actor="x", at=AT, data={}))
            session.execute(EVENTS.insert().values(kind="offset", actor="x", at=AT, data={}))
            session.execute(text("UPDATE event SET at = '2026-08-17' WHERE kind = 'bare'"))
            session.execute(text("UPDATE event SET at = '2026-08-17 17:30:15+08:00' WHERE kind = 'offset'"))
    with db.transaction() as session:
        read = {event.kind: event.at for event in session.scalars(select(Event))}
    assert read["exact"] == AT and read["whole"] == AT.replace(microsecond=0)
    assert read["wita"] == datetime(2026, 8, 17, 9, 30, tzinfo=UTC)
    if db.backend == "sqlite":
        assert read["bare"] == datetime(2026, 8, 17, tzinfo=UTC)
        assert read["offset"] == datetime(2026, 8, 17, 9, 30, 15, tzinfo=UTC)
    assert all(value.utcoffset() == timedelta(0) for value in read.values())


def test_several_rows_go_in_one_statement_or_in_many(db):
    few = [_event("few", actor=f"officer{n}") for n in range(3)]
    many = [_event("many", actor=f"officer{n}") for n in range(InsertRows.MANY + 5)]
    with db.transaction() as session:
        assert INSERT_EVENT.execute(session, few) == 3
        INSERT_EVENT.execute(session, many)
    with db.transaction() as session:
        assert [r[2] for r in BY_KIND.rows(session, {"b_kind": "few"})] == ["officer0", "officer1", "officer2"]
        assert len(BY_KIND.rows(session, {"b_kind": "many"})) == InsertRows.MANY + 5


def test_duplicates_of_a_unique_column_are_skipped_when_asked(db):
    outbox = InsertRows(Notification.__table__, ("kind", "recipient", "subject", "body", "created_at", "data",
                                                 "dedupe_key", "attempts"), skip_duplicates_of="dedupe_key")
    row = {"kind": "k", "recipient": "andi", "subject": "s", "body": "b", "created_at": AT, "data": {},
           "dedupe_key": "once", "attempts": 0}
    with db.transaction() as session:
        outbox.execute(session, row)
        outbox.execute(session, [row, {**row, "dedupe_key": "twice"}])
    with db.transaction() as session:
        assert sorted(session.scalars(select(Notification.dedupe_key))) == ["once", "twice"]


def test_a_batch_keeps_program_order_for_reads_and_orm_statements(db):
    with db.transaction() as session, sql.batch(session):
        INSERT_EVENT.write(session, _event("queued"))
        # A prepared read sends the queue first, and so does any statement SQLAlchemy runs.
        assert len(BY_KIND.rows(session, {"b_kind": "queued"})) == 1
        INSERT_EVENT.write(session, _event("queued"))
        assert session.scalar(select(Event.id).where(Event.kind == "queued").order_by(Event.id.desc())) == 2
        RENAME_ACTOR.write(session, {"b_kind": "queued", "actor": "kadis"})
    with db.transaction() as session:
        assert {r[2] for r in BY_KIND.rows(session, {"b_kind": "queued"})} == {"kadis"}


def test_a_count_other_than_expected_raises_the_conflict_and_nothing_is_kept(db):
    with db.transaction() as session:
        INSERT_EVENT.execute(session, _event("once"))
    with pytest.raises(Conflict, match="someone else"), db.transaction() as session, sql.batch(session):
        INSERT_EVENT.write(session, _event("after"))
        RENAME_ACTOR.write(session, {"b_kind": "absent", "actor": "x"}, expect=1,
                           conflict=Conflict("Changed by someone else at the same moment."))
        INSERT_EVENT.write(session, _event("after"))
    with db.transaction() as session:
        assert BY_KIND.rows(session, {"b_kind": "after"}) == []


def test_two_updates_of_one_row_in_a_batch_are_one_statement_and_keep_the_first_ones_check(db):
    """A step writes the application's row twice (state, then the file clock); in a batch they become one UPDATE
    (one new row version on PostgreSQL), which keeps the optimistic lock of the first."""
    with db.transaction() as session:
        INSERT_EVENT.execute(session, _event("joined"))
        (row,) = BY_KIND.rows(session, {"b_kind": "joined"})
    locked = (("id", "b_id"), ("kind", "b_kind"))
    with db.transaction() as session, sql.batch(session):
        sql.update_row(session, EVENTS, locked, {"b_id": row[0], "b_kind": "joined", "actor": "kadis"}, expect=1,
                       conflict=Conflict("lost race"))
        sql.update_row(session, EVENTS, (("id", "b_id"),), {"b_id": row[0], "element_id": "Task_Sign"})
        pending = sql.connection_of(session).info.get(sql._PENDING)
        if db.backend == "postgresql":
            assert len(pending) == 1  # joined
    with db.transaction() as session:
        (after,) = BY_KIND.rows(session, {"b_kind": "joined"})
    assert (after[2], after[7]) == ("kadis", "Task_Sign")
    with pytest.raises(Conflict, match="lost race"), db.transaction() as session, sql.batch(session):
        sql.update_row(session, EVENTS, locked, {"b_id": row[0], "b_kind": "other", "actor": "x"}, expect=1,
                       conflict=Conflict("lost race"))
        sql.update_row(session, EVENTS, (("id", "b_id"),), {"b_id": row[0], "element_id": "Task_Lost"})
    with db.transaction() as session:
        assert BY_KIND.rows(session, {"b_kind": "joined"})[0][7] == "Task_Sign"


def test_without_a_batch_a_write_runs_and_is_checked_at_once(db):
    with pytest.raises(Conflict), db.transaction() as session:
        RENAME_ACTOR.write(session, {"b_kind": "absent", "actor": "x"}, expect=1, conflict=Conflict("lost race"))
        pytest.fail("the write should have raised already")  # pragma: no cover


def test_database_errors_are_sqlalchemys_in_and_out_of_a_batch(db):
    users = InsertRows(User.__table__, ("username", "password_hash", "full_name", "roles", "groups",
                                        "jurisdictions", "active", "created_at"))
    andi = {"username": "andi", "password_hash": "x", "full_name": "Andi", "roles": ["applicant"], "groups": [],
            "jurisdictions": [], "active": True, "created_at": AT}
    with db.transaction() as session:
        users.execute(session, andi)
    with pytest.raises(IntegrityError), db.transaction() as session:
        users.execute(session, andi)
    with pytest.raises(IntegrityError), db.transaction() as session, sql.batch(session):
        users.write(session, andi)


def _stored_event(db) -> None:
    with db.transaction() as session:
        INSERT_EVENT.execute(session, _event("loaded"))


def _attached_event(session) -> Event:
    """The event ``_stored_event`` wrote, read with ``Prepared`` and attached to ``session``."""
    (row,) = BY_KIND.rows(session, {"b_kind": "loaded"})
    return attach(session, Event, dict(zip([c.key for c in EVENTS.columns], row, strict=True)))


def test_attached_rows_behave_as_loaded_objects(db):
    _stored_event(db)
    with db.transaction() as session:
        event = _attached_event(session)
        assert event in session and not session.dirty
        assert session.get(Event, event.id) is event  # the identity map holds it: no second load
        event.at = AT + timedelta(days=1)  # a change is flushed like any other
    with db.transaction() as session:
        assert session.get(Event, event.id).at == AT + timedelta(days=1)


def test_values_set_as_loaded_are_read_back_without_a_query_and_never_written(db):
    _stored_event(db)
    with db.transaction() as session:
        loaded = _attached_event(session)
        session.expire(loaded, ["actor"])  # would be read from the database on access
        sent = []
        listen = (session.get_bind(), "before_cursor_execute", lambda *args: sent.append(args[2]))
        event.listen(*listen)
        try:
            set_loaded(loaded, {"kind": "mirrored", "actor": "system"})
            assert (loaded.kind, loaded.actor) == ("mirrored", "system")
            assert not session.dirty and loaded not in session.dirty
            session.flush()
        finally:
            event.remove(*listen)
        assert sent == []  # neither a load of the expired column nor an UPDATE at flush
        loaded.element_id = "changed"  # a later change of another column is still written, alone
    with db.transaction() as session:
        again = session.get(Event, loaded.id)
        assert (again.kind, again.actor, again.element_id) == ("loaded", "vera", "changed")


def test_statements_that_cannot_be_prepared_are_refused_at_first_use(db):
    with db.transaction() as session:
        expanding = Prepared(select(EVENTS.c.id).where(EVENTS.c.kind.in_(["a", "b"])))
        with pytest.raises(ValueError, match="expanding IN"):
            expanding.rows(session, {})
        # data has a Python default (dict): SQLAlchemy would have computed it, a prepared INSERT will not.
        with pytest.raises(ValueError, match="defaults for"):
            InsertRows(EVENTS, ("kind", "actor", "at")).execute(session, {"kind": "k", "actor": "a", "at": AT})


COUNT_BY_KIND = Prepared(select(func.count()).select_from(EVENTS).where(EVENTS.c.kind == bindparam("b_kind")))


def trace_of(session, action) -> list[str]:
    """The lines of libpq's trace of the messages ``action`` exchanged with PostgreSQL on the session's connection
    (``F`` from the client, ``B`` from the server, then the message's name)."""
    raw = sql.connection_of(session).connection.dbapi_connection
    with tempfile.TemporaryFile("w+") as trace:
        raw.pgconn.trace(trace.fileno())
        raw.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)
        try:
            action()
        finally:
            raw.pgconn.untrace()
        trace.seek(0)
        return trace.readlines()


def _round_trips(session, action) -> int:
    """How many times ``action`` waited for PostgreSQL: the server's ReadyForQuery messages in libpq's trace."""
    return sum(1 for line in trace_of(session, action) if "\tReadyForQuery" in line and line.split("\t")[0] == "B")


def test_reads_sent_together_answer_as_each_alone_and_take_one_round_trip_on_postgresql(db):
    with db.transaction() as session:
        INSERT_EVENT.execute(session, [_event("checked"), _event("checked", actor="rudi"), _event("other")])
    with db.transaction() as session:
        alone = [BY_KIND.rows(session, {"b_kind": "checked"}), COUNT_BY_KIND.rows(session, {"b_kind": "checked"})]
        together = sql.read_together(session, (BY_KIND, {"b_kind": "checked"}),
                                     (COUNT_BY_KIND, {"b_kind": "checked"}))
        assert together == alone and together[1] == [(2,)]
        assert [row[2] for row in together[0]] == ["vera", "rudi"] and together[0][0][3] == AT  # converted
        if db.backend == "postgresql":
            def read() -> None:
                sql.read_together(session, (BY_KIND, {"b_kind": "other"}), (COUNT_BY_KIND, {"b_kind": "other"}))

            def one_by_one() -> None:
                BY_KIND.rows(session, {"b_kind": "other"})
                COUNT_BY_KIND.rows(session, {"b_kind": "other"})

            assert (_round_trips(session, read), _round_trips(session, one_by_one)) == (1, 2)
    with pytest.raises(DBAPIError, match="no_such_column"), db.transaction() as session:  # SQLAlchemy's error
        sql.read_together(session, (BY_KIND, {"b_kind": "x"}), (Prepared(select(text("no_such_column"))), {}))
