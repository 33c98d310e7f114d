"""Prepared statements for the few SQL statements every completion and every API request runs.

SQLAlchemy's ``Connection.execute`` spends 70–230 µs of CPU per statement on work that does not change between
calls (cache key, execution context, result metadata), and about 5 µs per column of every result row; the ORM
adds more per object. On the statements of a task completion that overhead was larger than the database's own
work, and it decided how many completions two cores sustain. ``Prepared`` keeps what SQLAlchemy is good at — the
SQL text for the dialect and each column type's bind and result conversion, taken from SQLAlchemy itself — and runs
the statement straight on the DBAPI cursor of the session's connection, inside the session's transaction.

Rules for a statement to be prepared: every parameter is a named ``bindparam`` (or an INSERT's column), no
expanding ``IN (…)`` lists (use literal values), INSERTs list all the columns they write. Breaking a rule fails at
the first use with ``ValueError``, which the tests reach.

DBAPI errors are re-raised as SQLAlchemy's (``sqlalchemy.exc.IntegrityError`` …), so callers handle them as for any
other statement.

A step's writes can also go together: inside ``with batch(session):`` each ``write`` is queued and the queue is sent
when the block ends — on PostgreSQL in one round trip (psycopg's pipeline mode) instead of one per statement, and
joined into one statement where that gives the same result (``engine.storage.joined_writes``); each round trip and
each statement cost CPU on both sides besides the wait. A write that must change exactly ``expect`` rows (the optimistic
lock) raises its ``conflict`` when the count comes back different. Any other statement on the connection — a read,
an ORM flush, ``execute`` — sends the queue first, so the database always sees the statements in program order.
SQLite runs in-process and has no round trips to save: there ``write`` runs at once.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Iterable, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

from psycopg import RawCursor
from sqlalchemy import Table, bindparam, event, insert, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, class_mapper, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.orm.instrumentation import manager_of_class

from engine.storage import joined_writes

_CONNECTION = "lincah.connection"


def connection_of(session: Session) -> Connection:
    """``session.connection()``, remembered for the session's innermost transaction: a step asks for it a dozen
    times, and each ``Session.connection`` call walks the session's transaction state machine.

    Keyed by the innermost transaction, a savepoint included: SQLAlchemy sends ``SAVEPOINT`` lazily, when
    ``session.connection()`` is first called inside ``begin_nested()``. Remembering only the outer transaction
    would hand its connection out inside a savepoint before any ORM statement had sent the ``SAVEPOINT``, so writes
    through it would precede the savepoint and survive its rollback. Leaving the savepoint makes the outer
    transaction innermost again, and the next call asks the session once more.
    """
    transaction = session.get_nested_transaction() or session.get_transaction()
    remembered = session.info.get(_CONNECTION)
    if remembered is not None and remembered[0] is transaction and transaction.is_active:
        return remembered[1]
    connection = session.connection()  # inside a savepoint: sends the SAVEPOINT if it was not sent yet
    session.info[_CONNECTION] = (session.get_nested_transaction() or session.get_transaction(), connection)
    return connection


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # parameters in the order the dialect wants them (positional styles)
    positional: bool
    binders: tuple  # (name, processor) for the parameters that need converting
    fixed: dict  # values the statement carries itself (a LIMIT, a literal compared with)
    error: type
    shape: tuple[str, str] | None = None  # (table, kind) of a write that may join others (joined_writes.shape)


class Prepared:
    """One Core statement, compiled once per dialect, executed on the DBAPI cursor.

    ``columns``: for an INSERT or UPDATE, the column keys every parameter set carries for its VALUES or SET clause
    (their parameters are named after the columns); other parameters are the statement's named ``bindparam``s.
    """

    def __init__(self, statement, *, columns: Sequence[str] | None = None):
        self._statement = statement
        self._columns = list(columns) if columns is not None else None
        self._compiled: dict[str, _Compiled] = {}
        self._read: dict[str, tuple] = {}
        self._lock = threading.Lock()

    def _for(self, dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            with self._lock:
                found = self._compiled.get(dialect.name) or self._compile(dialect)
                self._compiled[dialect.name] = found
        return found

    def _compile(self, dialect) -> _Compiled:
        compiled = self._statement.compile(dialect=dialect, column_keys=self._columns)
        if "POSTCOMPILE" in compiled.string:
            raise ValueError(f"expanding IN parameters cannot be prepared: {compiled.string}")
        binds = compiled.binds
        defaults = [column.key for column in (*compiled.insert_prefetch, *compiled.update_prefetch)]
        if defaults:
            raise ValueError(f"give every column a value; SQLAlchemy would compute defaults for {defaults}")
        names = tuple(compiled.positiontup) if dialect.positional else tuple(binds)
        fixed = {name: bind.effective_value for name, bind in binds.items() if not bind.required}
        binders = []
        for name in dict.fromkeys(names):
            process = binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                binders.append((name, process))
        return _Compiled(compiled.string, names, dialect.positional, tuple(binders), fixed, dialect.loaded_dbapi.Error,
                         joined_writes.shape(self._statement, dialect))

    def _readers(self, dialect, description) -> tuple:
        """(index, result processor) of each selected column that needs converting; some processors depend on the
        driver's type code, so they are chosen at the first execution."""
        found = self._read.get(dialect.name)
        if found is None:
            processors = (column.type.dialect_impl(dialect).result_processor(dialect, entry[1])
                          for column, entry in zip(self._statement.selected_columns, description, strict=True))
            found = tuple((index, read) for index, read in enumerate(processors) if read is not None)
            self._read[dialect.name] = found
        return found

    # -- running

    def _parameters(self, compiled: _Compiled, values: dict):
        if compiled.fixed:
            values = {**compiled.fixed, **values}
        if compiled.binders:
            values = dict(values)
            for name, process in compiled.binders:
                values[name] = process(values[name])
        if compiled.positional:
            return tuple(values[name] for name in compiled.names)
        return values

    def execute(self, session: Session, values: dict | list[dict]) -> int:
        """Run the statement now with one parameter set (a dict) or many (a list); return the rows it changed."""
        connection = connection_of(session)
        _send_pending(connection)
        compiled = self._for(connection.dialect)
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            if isinstance(values, list):
                if not values:
                    return 0
                cursor.executemany(compiled.sql, [self._parameters(compiled, v) for v in values])
            else:
                cursor.execute(compiled.sql, self._parameters(compiled, values))
            return cursor.rowcount
        except compiled.error as exc:
            raise DBAPIError.instance(compiled.sql, values, exc, compiled.error) from exc
        finally:
            cursor.close()

    def write(self, session: Session, values: dict | list[dict], *, expect: int | None = None,
              conflict: Exception | None = None) -> None:
        """Run the statement as part of the open ``batch`` (now, without one); when it changes a number of rows
        other than ``expect``, raise ``conflict``."""
        connection = connection_of(session)
        pending = connection.info.get(_PENDING)
        if pending is None:
            changed = self.execute(session, values)
            if expect is not None and changed != expect:
                raise conflict
            return
        compiled = self._for(connection.dialect)
        many = isinstance(values, list)
        parameters = [self._parameters(compiled, v) for v in values] if many else self._parameters(compiled, values)
        pending.append(_Write(compiled, parameters, many, expect, conflict))

    def rows(self, session: Session, values: dict) -> list[tuple]:
        """The result rows of a SELECT, each value converted as SQLAlchemy would (aware datetimes, JSON …)."""
        connection = connection_of(session)
        _send_pending(connection)
        compiled = self._for(connection.dialect)
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            cursor.execute(compiled.sql, self._parameters(compiled, values))
            return self._fetched(connection.dialect, cursor)
        except compiled.error as exc:
            raise DBAPIError.instance(compiled.sql, values, exc, compiled.error) from exc
        finally:
            cursor.close()

    def _fetched(self, dialect, cursor) -> list[tuple]:
        """The rows of ``cursor``'s result, converted."""
        fetched = cursor.fetchall()
        readers = self._read.get(dialect.name)
        if readers is None:
            readers = self._readers(dialect, cursor.description)
        if not readers:
            return [tuple(row) for row in fetched]
        # Only the columns that need it are converted: a page of 50 rows of 40 columns has a few hundred such
        # values and some 2,000 that pass through as the driver gave them.
        converted = []
        for row in fetched:
            row = list(row)
            for index, read in readers:
                value = row[index]
                if value is not None:
                    row[index] = read(value)
            converted.append(tuple(row))
        return converted


def read_together(session: Session, *reads: tuple[Prepared, dict]) -> list[list[tuple]]:
    """The rows of several prepared SELECTs (each with its values), in order: on PostgreSQL sent together in one
    round trip (psycopg's pipeline mode), elsewhere one after the other. For reads that do not depend on each other,
    such as a page and its count."""
    connection = connection_of(session)
    raw = connection.connection.dbapi_connection
    if not hasattr(raw, "pipeline"):
        return [prepared.rows(session, values) for prepared, values in reads]
    _send_pending(connection)
    dialect = connection.dialect
    error = dialect.loaded_dbapi.Error
    sent, cursors = [], []
    try:
        with raw.pipeline():
            for prepared, values in reads:
                compiled = prepared._for(dialect)
                sent.append((compiled, values))
                cursors.append(cursor := raw.cursor())
                cursor.execute(compiled.sql, prepared._parameters(compiled, values))
        return [prepared._fetched(dialect, cursor) for (prepared, _), cursor in zip(reads, cursors, strict=True)]
    except error as exc:  # a pipeline reports the first statement that failed; named here: the last one sent
        compiled, values = sent[-1] if sent else (None, None)
        raise DBAPIError.instance(compiled.sql if compiled else "", values, exc, error) from exc
    finally:
        for cursor in cursors:
            cursor.close()


class InsertRows:
    """An INSERT of whole rows (every one carrying ``columns``), prepared per dialect and number of rows.

    One row is one plain INSERT; up to ``MANY`` rows are one INSERT with that many VALUES tuples — psycopg runs an
    ``executemany`` in pipeline mode, whose set-up cost several round trips for the two or three rows a step
    writes; more rows use ``executemany``. ``skip_duplicates_of`` names a unique column: rows whose value is there
    already are skipped (``ON CONFLICT … DO NOTHING``, on PostgreSQL and SQLite alike).
    """

    MANY = 20

    def __init__(self, table: Table, columns: Iterable[str], *, skip_duplicates_of: str | None = None):
        self.table = table
        self.columns = tuple(columns)
        self.skip_duplicates_of = skip_duplicates_of
        self._prepared: dict[tuple[str, int], Prepared] = {}

    def _statement(self, dialect_name: str, count: int) -> Prepared:
        key = (dialect_name, count)
        found = self._prepared.get(key)
        if found is None:
            statement = insert(self.table)
            if self.skip_duplicates_of:
                statement = _dialect_insert(dialect_name)(self.table)
            if count == 1:
                statement, columns = statement.inline(), self.columns
            else:
                statement = statement.values([{name: bindparam(f"r{n}_{name}", type_=self.table.c[name].type)
                                               for name in self.columns} for n in range(count)])
                columns = None
            if self.skip_duplicates_of:
                statement = statement.on_conflict_do_nothing(index_elements=[self.skip_duplicates_of])
            found = self._prepared[key] = Prepared(statement, columns=columns)
        return found

    def _bound(self, session: Session, rows: list[dict]) -> tuple[Prepared, dict | list[dict]]:
        name = session.get_bind().dialect.name
        if len(rows) == 1:
            return self._statement(name, 1), rows[0]
        if len(rows) <= self.MANY:
            values = {f"r{n}_{key}": value for n, row in enumerate(rows) for key, value in row.items()}
            return self._statement(name, len(rows)), values
        return self._statement(name, 1), rows

    def execute(self, session: Session, rows: dict | list[dict]) -> int:
        """Insert one row (a dict) or several (a list) now; return the number inserted."""
        rows = [rows] if isinstance(rows, dict) else rows
        if not rows:
            return 0
        statement, values = self._bound(session, rows)
        return statement.execute(session, values)

    def write(self, session: Session, rows: dict | list[dict]) -> None:
        """Insert one row or several as part of the open ``batch`` (now, without one)."""
        rows = [rows] if isinstance(rows, dict) else rows
        if rows:
            statement, values = self._bound(session, rows)
            statement.write(session, values)


def _dialect_insert(dialect_name: str):
    """The INSERT construct that knows ``ON CONFLICT`` for ``dialect_name``."""
    if dialect_name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert


@functools.cache
def update_where(table: Table, columns: tuple[str, ...], keys: tuple[tuple[str, str], ...]) -> Prepared:
    """``UPDATE table SET <columns> WHERE <column> = :<parameter> AND …`` for ``keys`` (column, parameter) pairs,
    prepared once per column set (callers pass the SET columns sorted, so each set is one statement)."""
    return Prepared(update(table).where(*(table.c[column] == bindparam(name) for column, name in keys)),
                    columns=columns)


def update_row(session: Session, table: Table, keys: tuple[tuple[str, str], ...], values: dict, *,
               expect: int | None = None, conflict: Exception | None = None) -> None:
    """``update_where`` for one row, whose key parameters (named in ``keys``) are in ``values`` with the new column
    values; a later ``update_row`` of the same row in the open batch joins this one's UPDATE.

    A step writes the application's row twice (the state under the optimistic lock, then the file clock's
    columns). On PostgreSQL every UPDATE of a row writes a new version of the whole row and its WAL record, so two
    UPDATEs in one transaction cost the server twice the work of one; joined, the row changes once. The joined
    UPDATE keeps the first one's place in the queue, its key and its ``expect``.
    """
    names = {name for _, name in keys}
    columns = {key: value for key, value in values.items() if key not in names}
    connection = connection_of(session)
    pending = connection.info.get(_PENDING)
    row = (table.name, tuple(values[name] for column, name in keys if table.c[column].primary_key))
    if pending is not None and expect is None and len(row[1]) == len(table.primary_key.columns):
        for index, write in enumerate(pending):
            if write.row == row and write.row_values is not None:
                joined = {**write.row_values, **columns}
                statement = update_where(table, tuple(sorted(set(joined) - names)), write.row_keys)
                compiled = statement._for(connection.dialect)  # noqa: SLF001 - the same module
                pending[index] = _Write(compiled, statement._parameters(compiled, joined),  # noqa: SLF001
                                        False, write.expect, write.conflict, row, joined, write.row_keys)
                return
    statement = update_where(table, tuple(sorted(columns)), keys)
    if pending is None:
        statement.write(session, values, expect=expect, conflict=conflict)
        return
    compiled = statement._for(connection.dialect)  # noqa: SLF001 - the same module
    pending.append(_Write(compiled, statement._parameters(compiled, values), False, expect, conflict,  # noqa: SLF001
                          row, dict(values), keys))


# -- batches of writes

_PENDING = "lincah.pending_writes"


@dataclass
class _Write:
    compiled: _Compiled
    parameters: object  # as the driver takes them (a list of them for executemany)
    many: bool
    expect: int | None
    conflict: Exception | None
    # An ``update_row``: (table, key values), its parameters by name (keys included) and its keys, for joining.
    row: tuple | None = None
    row_values: dict | None = None
    row_keys: tuple | None = None


@contextmanager
def batch(session: Session):
    """Queue the ``write``s made inside the block and send them together when it ends (see the module's doc).

    Nested blocks join the outer one. When the block raises, writes not sent yet are dropped: the caller's
    transaction is rolled back anyway.
    """
    connection = connection_of(session)
    if connection.dialect.name != "postgresql" or _PENDING in connection.info:
        yield
        return
    connection.info[_PENDING] = []
    try:
        yield
        _send_pending(connection)
    finally:
        connection.info.pop(_PENDING, None)


@dataclass(frozen=True)
class _Statement:
    """What goes to the server for queued writes: one write's statement (an executemany with ``many``), or several
    writes joined into one (``joined``: written with $n parameters for psycopg's raw cursor; it answers one row of
    each write's changed rows)."""

    sql: str
    parameters: object
    writes: list[_Write]
    many: bool = False
    joined: bool = False


def _statements(writes: list[_Write]) -> list[_Statement]:
    statements = []
    for run in joined_writes.runs([None if write.many else write.compiled.shape for write in writes]):
        carried = [writes[index] for index in run]
        if len(carried) == 1:
            (write,) = carried
            statements.append(_Statement(write.compiled.sql, write.parameters, carried, many=write.many))
            continue
        joined, order = joined_writes.statement(tuple(write.compiled.sql for write in carried))
        statements.append(_Statement(joined, joined_writes.parameters(order, [write.parameters for write in carried]),
                                     carried, joined=True))
    return statements


def _send_pending(connection: Connection) -> None:
    """Send the queued writes — those that may share one statement joined (``joined_writes``), the statements in
    one round trip — then raise the ``conflict`` of the first write that changed other than ``expect`` rows."""
    pending = connection.info.get(_PENDING)
    if not pending:
        return
    writes = list(pending)
    pending.clear()
    statements = _statements(writes)
    raw = connection.connection.dbapi_connection
    error = writes[0].compiled.error
    cursors = []
    try:
        try:
            # One statement needs no pipeline, whose set-up would cost the client more than it saves.
            with raw.pipeline() if len(statements) > 1 else nullcontext():
                for statement in statements:
                    cursor = RawCursor(raw) if statement.joined else raw.cursor()
                    cursors.append(cursor)
                    run = cursor.executemany if statement.many else cursor.execute
                    run(statement.sql, statement.parameters)
        except error as exc:
            raise DBAPIError.instance(statement.sql, statement.parameters, exc, error) from exc
        for statement, cursor in zip(statements, cursors, strict=True):
            changed = cursor.fetchone() if statement.joined else (cursor.rowcount,)
            for write, count in zip(statement.writes, changed, strict=True):
                if write.expect is not None and count != write.expect:
                    raise write.conflict
    finally:
        for cursor in cursors:
            cursor.close()


@event.listens_for(Engine, "before_cursor_execute")
def _statements_keep_their_order(conn, cursor, statement, parameters, context, executemany) -> None:
    """Any statement SQLAlchemy runs while writes are queued sends them first."""
    if conn.info.get(_PENDING):
        _send_pending(conn)


@functools.cache
def _manager(cls):
    class_mapper(cls)  # configures the mappers (relationships) once, as the first ORM query would
    return manager_of_class(cls)


def attach(session: Session, cls, values: dict):
    """An ORM object of ``cls`` for a row read with ``Prepared``, persistent in ``session`` as if the ORM had loaded
    it: unchanged, flushed only when modified, columns not in ``values`` loaded on first access."""
    obj = new_row(cls, values)
    make_transient_to_detached(obj)
    # What ``session.add`` does for a detached object, without its walk of the relationships to cascade along: an
    # object just made from a row has none loaded, and the walk was half the cost of attaching (a step attaches
    # three objects; measured 45 against 24 µs each).
    session._update_impl(instance_state(obj))  # noqa: SLF001 - SQLAlchemy 2.0-2.1 (setup.cfg); test_sql covers it
    return obj


def set_loaded(obj, values: dict) -> None:
    """Give ``obj``'s column attributes ``values`` as if it had been loaded with them: not marked changed, so the
    ORM writes nothing at flush (the caller has written them itself, with a plain UPDATE). What
    ``set_committed_value`` does for one attribute, for all at once (a task's nine closing columns: 17 against 2 µs)."""
    state = instance_state(obj)
    state.dict.update(values)
    state._commit(state.dict, values)  # noqa: SLF001 - SQLAlchemy 2.0-2.1 (setup.cfg); test_sql covers it


def new_row(cls, values: dict):
    """A transient ORM object of ``cls`` holding ``values``: what ``cls(**values)`` makes, without the
    instrumented constructor's event for every attribute (2 against 30 µs for a task row)."""
    obj = _manager(cls).new_instance()
    obj.__dict__.update(values)
    return obj


# --- many rows in one statement -------------------------------------------------------------------------------
# Many rows in one INSERT: what the SLA pass writes after a scheduler outage (thousands of audit events and
# notifications).
#
# ``executemany`` of an INSERT sends one statement per row (pipelined by psycopg, but each still parsed, planned and
# executed). On PostgreSQL :func:`insert_rows` streams the rows with ``COPY`` into a temporary staging table of the
# same columns and moves them with one ``INSERT … SELECT`` (``ON CONFLICT … DO NOTHING`` when duplicates are to be
# skipped, which ``COPY`` itself cannot do). Measured on 5,000 SLA notifications (about 1 KB each; issue 21): the
# server spent 130–145 ms of CPU on the single ``INSERT … SELECT … FROM json_to_recordset(…)`` used before — 60 ms
# of it reading the 5 MB JSON document — and 80–90 ms this way (27 ms of it the COPY), the client about the same
# (psycopg's ``write_row`` per row instead of one orjson document: 37 against 34 ms in the burst, 2 round trips
# more); an ``executemany`` in pipeline mode cost 115 ms on the server and 75 ms on the client, multi-row VALUES
# (chunked under the 65,535 parameter limit) 250 and 270 ms, and staging each notice's shared texts once in a
# second table joined to its recipients cost more on both sides than it saved. The staging table lives as long as
# the connection (``ON COMMIT DELETE ROWS``: emptied at each commit of a transaction that used it, skipped by the
# others); ``CREATE … IF NOT EXISTS`` is sent with every batch, which also suits a pooler that hands out another
# server connection per transaction. Values go through each column's own type first (naive UTC for datetimes, JSON
# serialised by the engine's serialiser), exactly as a Core INSERT would bind them. Small batches use ``InsertRows``
# above (one multi-row INSERT, prepared once); larger ones on SQLite (in-process, no round trips) an ``executemany``
# of plain tuples (``_insert_plain_tuples``, below).

# Below this many rows one prepared multi-row INSERT is as quick.
_MANY = InsertRows.MANY


@functools.cache
def _plain_insert(table: Table, columns: tuple[str, ...], skip_duplicates_of: str | None) -> InsertRows:
    return InsertRows(table, columns, skip_duplicates_of=skip_duplicates_of)


def insert_rows(session: Session, table: Table, rows: list[dict], *, skip_duplicates_of: str | None = None) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table`` in the caller's transaction.

    ``skip_duplicates_of`` names a unique column: a row whose value is already there (also from a concurrent
    transaction) is skipped instead of failing the statement.
    """
    if not rows:
        return
    dialect = session.get_bind().dialect
    if len(rows) < _MANY:
        _plain_insert(table, tuple(rows[0]), skip_duplicates_of).write(session, rows)
    elif dialect.name == "postgresql":
        _insert_by_copy(session, table, rows, skip_duplicates_of)
    else:
        _insert_plain_tuples(session, table, rows, skip_duplicates_of)


@dataclass(frozen=True)
class _Staging:
    create: str
    copy: str
    move: str


@functools.cache
def _staging(dialect, table: Table, names: tuple[str, ...], skip_duplicates_of: str | None) -> _Staging:
    """The statements that stage rows of ``names`` for ``table`` and move them in. The staging table is named after
    the table and a digest of the column list, so each column set a caller inserts has a table of its own."""
    quote = dialect.identifier_preparer.quote
    digest = hashlib.sha1(",".join(names).encode()).hexdigest()[:8]
    staging = quote(f"lincah_staging_{table.name}_{digest}")
    listed = ", ".join(quote(name) for name in names)
    shape = ", ".join(f"{quote(name)} {table.c[name].type.compile(dialect)}" for name in names)
    conflict = f" ON CONFLICT ({quote(skip_duplicates_of)}) DO NOTHING" if skip_duplicates_of else ""
    return _Staging(create=f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ({shape}) ON COMMIT DELETE ROWS",
                    copy=f"COPY {staging} ({listed}) FROM STDIN",
                    move=f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({listed}) "
                         f"SELECT {listed} FROM {staging}{conflict}")


def _insert_by_copy(session: Session, table: Table, rows: list[dict], skip_duplicates_of: str | None) -> None:
    connection = connection_of(session)
    _send_pending(connection)  # queued writes go first: the database sees the statements in program order
    dialect = connection.dialect
    names = tuple(rows[0])
    staging = _staging(dialect, table, names, skip_duplicates_of)
    columns = _bound_columns(dialect, table, names, rows)
    cursor = connection.connection.dbapi_connection.cursor()
    statement = staging.create
    try:
        # IF NOT EXISTS every time: a staging table created by a transaction that then rolled back went with it.
        cursor.execute(statement)
        statement = staging.copy
        with cursor.copy(statement) as copy:
            for row in zip(*columns, strict=True):
                copy.write_row(row)
        statement = staging.move
        cursor.execute(statement)
    except dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(statement, rows[:1], exc, dialect.loaded_dbapi.Error) from exc
    finally:
        cursor.close()


# SQLite: ``executemany`` of plain tuples. Going through ``Prepared`` converted every row as a dict of its own (copy,
# each column's processor, tuple): 7,000 rows cost 95 ms of a 460 ms SLA burst. Here each column is converted as a
# whole, every distinct value once (a batch repeats its instants, kinds and keys), and the driver gets the tuples;
# PostgreSQL's ``COPY`` above is fed the same way.

def _converted(values: list, process) -> list:
    """``values`` through a column's bind ``process``; each hashable value converted once."""
    seen: dict = {}
    out = []
    for value in values:
        if value is None:
            out.append(None)
        elif type(value) in (dict, list):
            out.append(process(value))
        else:
            found = seen.get(value, seen)
            if found is seen:
                found = seen[value] = process(value)
            out.append(found)
    return out


def _bound_columns(dialect, table: Table, names: tuple[str, ...], rows: list[dict]) -> list[list]:
    """The values of ``rows``, column by column, each through its column's bind conversion."""
    columns = []
    for name in names:
        values = [row[name] for row in rows]
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        columns.append(values if process is None else _converted(values, process))
    return columns


def _insert_plain_tuples(session: Session, table: Table, rows: list[dict], skip_duplicates_of: str | None) -> None:
    connection = connection_of(session)
    dialect = connection.dialect
    names = tuple(rows[0])
    quote = dialect.identifier_preparer.quote
    conflict = f" ON CONFLICT ({quote(skip_duplicates_of)}) DO NOTHING" if skip_duplicates_of else ""
    sql = (f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({', '.join(map(quote, names))}) "
           f"VALUES ({', '.join('?' * len(names))}){conflict}")
    parameters = list(zip(*_bound_columns(dialect, table, names, rows), strict=True))
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.executemany(sql, parameters)
    except dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(sql, parameters[:1], exc, dialect.loaded_dbapi.Error) from exc
    finally:
        cursor.close()
