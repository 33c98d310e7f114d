"""Many rows in one INSERT: what the SLA pass writes after a scheduler outage (thousands of audit events and
notifications) in one round trip.

``executemany`` of an INSERT sends one statement per row (pipelined by psycopg, but each still parsed, planned and
executed). On PostgreSQL :func:`insert_rows` sends one statement whose only parameter is the rows as one JSON
document, ``INSERT … SELECT … FROM json_to_recordset(…)``: orjson writes it in milliseconds and the server reads it
in C, where per-row parameters (or one array per column, which psycopg quotes element by element in Python) cost
hundreds of milliseconds for a few thousand rows. Values go through each column's own type first (naive UTC for
datetimes), exactly as a Core INSERT would bind them; JSON columns are nested as they are. SQLite (in-process, no
round trips) and small batches use ``engine.sql.InsertRows`` (one multi-row INSERT, prepared once).
"""

from __future__ import annotations

import functools

import orjson
from sqlalchemy import JSON, Table, text
from sqlalchemy.orm import Session

from .sql import InsertRows

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
    if dialect.name != "postgresql" or len(rows) < _MANY:
        _plain_insert(table, tuple(rows[0]), skip_duplicates_of).write(session, rows)
        return
    names = list(rows[0])
    columns = [table.c[name] for name in names]
    records = [dict(row) for row in rows]
    for column in columns:
        process = None if isinstance(column.type, JSON) else column.type.bind_processor(dialect)
        if process is not None:
            seen: dict = {}  # a batch repeats its instants (one "now" for every row): convert each once
            for record in records:
                value = record[column.name]
                if value not in seen:
                    seen[value] = process(value)
                record[column.name] = seen[value]
    quote = dialect.identifier_preparer.quote
    listed = ", ".join(quote(name) for name in names)
    shape = ", ".join(f"{quote(column.name)} {column.type.compile(dialect)}" for column in columns)
    conflict = f" ON CONFLICT ({quote(skip_duplicates_of)}) DO NOTHING" if skip_duplicates_of else ""
    session.execute(text(f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({listed}) "
                         f"SELECT {listed} FROM json_to_recordset(CAST(:records AS json)) AS r({shape}){conflict}"),
                    {"records": orjson.dumps(records).decode()})
