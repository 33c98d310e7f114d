"""Several queued writes sent to PostgreSQL as one statement.

A step's writes travel together (``engine.storage.sql.batch``): closing the task, the audit events, the new state,
the next task, the applicant's notice. Sent as separate statements in one pipeline, each costs the driver and the
server a statement's fixed work — psycopg's Python per execute, the server's bind, executor start-up and end —
besides its own. Joined into one statement, each write a data-modifying ``WITH`` query::

    WITH w0 AS (UPDATE task SET … WHERE … RETURNING 1),
         w1 AS (INSERT INTO event … RETURNING 1)
    SELECT (SELECT count(*) FROM w0), (SELECT count(*) FROM w1)

the same writes cost the client half: a step's five writes 1.0 → 0.5 ms of the client's CPU, 9 % of the whole step
(in-process, blocks of steps alternating between the two ways); the server's CPU for them stayed about the same.
The price is latency for a lone client: in a pipeline the server ran each statement while the client built the
next, and one statement is built first, then run (+9 % for a step waited for alone). A busy server is short of CPU,
not of that overlap. The counts are each write's changed rows, so an optimistic lock (``expect``) is checked as
before.

One statement is not the same as one after another in every case: its parts see the database as it was when the
statement began, not each other's changes, and PostgreSQL does not define what two of them changing one row does.
A write therefore joins the statement only when running it after the others could not have given another result:

- it is a plain INSERT, UPDATE or DELETE (or INSERT … ON CONFLICT) of one table, with no RETURNING and reading no
  other table (``shape``);
- a write that reads its table — an UPDATE or DELETE finds its rows there, an ON CONFLICT looks up its keys — joins
  only while no earlier part of the statement wrote to that table; a plain INSERT reads nothing and always joins
  (a duplicate key still fails, as the unique index sees the earlier part's row). Foreign keys are checked when
  the whole statement ends, so a row may refer to one an earlier part inserts.

Anything else starts the next statement, and the statements keep the program's order.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from sqlalchemy.sql.util import find_tables

# Kinds of write that read their own table (their WHERE, or the unique index of ON CONFLICT).
_READS_ITS_TABLE = frozenset({"update", "delete", "upsert"})
# A bound on one statement's parts (a step sends five; a larger batch goes as several statements).
MOST = 12


def shape(statement, dialect) -> tuple[str, str] | None:
    """(table, kind) of a write that may be part of a joined statement on ``dialect``; ``None`` otherwise."""
    if dialect.name != "postgresql" or dialect.positional or not getattr(statement, "is_dml", False):
        return None
    if statement._returning:  # noqa: SLF001 - SQLAlchemy's own record of a RETURNING clause
        return None
    if statement.is_insert:
        if statement.select is not None:
            return None
        kind = "upsert" if statement._post_values_clause is not None else "insert"  # noqa: SLF001
    elif statement.is_update:
        kind = "update"
    elif statement.is_delete:
        kind = "delete"
    else:
        return None
    if set(find_tables(statement, include_crud=True)) != {statement.table}:
        return None  # a subquery reads another table, which an earlier part may have changed
    return statement.table.name, kind


def runs(shapes: Sequence[tuple[str, str] | None]) -> list[range]:
    """The writes of ``shapes`` (each ``shape(…)``, or ``None`` for a write that goes alone — an executemany too)
    cut into runs sent as one statement each, in order."""
    cuts, start, written = [], 0, set()
    for index, found in enumerate(shapes):
        table, kind = found if found is not None else (None, None)
        joins = (found is not None and index > start and index - start < MOST
                 and shapes[start] is not None and not (kind in _READS_ITS_TABLE and table in written))
        if not joins:
            if index > start:
                cuts.append(range(start, index))
            start, written = index, set()
        if found is not None:
            written.add(table)
    if shapes:
        cuts.append(range(start, len(shapes)))
    return cuts


_PLACEHOLDER = re.compile(r"%%|%\(([^)]+)\)s")  # psycopg's named parameters; %% is a literal percent sign


@functools.lru_cache(maxsize=256)
def statement(parts: tuple[str, ...]) -> tuple[str, tuple[tuple[int, str], ...]]:
    """The one statement doing the writes ``parts`` (each its SQL with psycopg's named parameters), and the order of
    its parameters: (part, name) for ``$1``, ``$2`` …. It answers one row: each part's number of changed rows.

    Written with PostgreSQL's own ``$n`` parameters, for psycopg's ``RawCursor``: psycopg caches its conversion of
    named parameters only for statements under 4 KB and 50 parameters, and parsing this one again at every step cost
    more than joining saved."""
    numbers: dict[tuple[int, str], int] = {}

    def number_of(part: int, match: re.Match) -> str:
        if match.group(1) is None:
            return "%"  # RawCursor sends the text as it is: an escaped percent sign is a plain one again
        key = (part, match.group(1))
        return f"${numbers.setdefault(key, len(numbers) + 1)}"

    queries = [f"w{part} AS ({_PLACEHOLDER.sub(functools.partial(number_of, part), sql)} RETURNING 1)"
               for part, sql in enumerate(parts)]
    counts = ", ".join(f"(SELECT count(*) FROM w{part})" for part in range(len(parts)))
    return f"WITH {', '.join(queries)} SELECT {counts}", tuple(numbers)


def parameters(order: tuple[tuple[int, str], ...], each: Sequence[dict]) -> tuple:
    """The joined statement's parameters in ``order`` (``statement``'s), from each part's own by name."""
    return tuple(each[part][name] for part, name in order)
