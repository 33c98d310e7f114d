"""A step's statements are planned once per connection on PostgreSQL, not on every step.

The step's writes go as one statement of five data-modifying parts and some eighty parameters
(``engine.storage.joined_writes``); planning it costs the server about 0.6 ms (EXPLAIN ANALYZE: planning 0.6 ms,
execution 0.5 ms), as much as running it. psycopg prepares a statement on the server once it has run it five times
on a connection, and PostgreSQL then settles on one generic plan for it. That only holds while the statement's text
stays the same from step to step: a value written into the SQL instead of bound, or a column list that varies, would
make every step a new statement, planned anew, with nothing failing but the server's CPU.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import text

from engine.casework import applications, tasks
from engine.storage.db import make_engine, make_session_factory, transaction
from engine.storage.models import Task
from tests import samples
from tests.engine.conftest import APPLICANT, VERIFIER

pytestmark = pytest.mark.postgresql_only

RETURN = "Kembalikan untuk perbaikan"
STEPS = 12  # psycopg prepares after 5 runs; PostgreSQL tries 5 custom plans before it settles on a generic one


@contextmanager
def _one_connection(database):
    """A session factory whose transactions all run on one pooled connection (prepared statements are per
    connection)."""
    engine = make_engine(database.url, pool_size=1, max_overflow=0)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def _open_task(factory, instance_id: int) -> str:
    with transaction(factory) as session:
        return session.query(Task.id).filter(Task.instance_id == instance_id,
                                             Task.state.in_(("ready", "claimed"))).scalar()


def _plans(factory) -> dict[str, tuple[int, int]]:
    """{statement text: (generic plans, custom plans)} of the connection's prepared statements."""
    with transaction(factory) as session:
        rows = session.execute(text("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"))
        return {statement: (generic, custom) for statement, generic, custom in rows}


def test_the_steps_write_and_read_are_planned_once_not_on_every_step(db, ctx, deploy_service):
    deploy_service("research_permit")
    with _one_connection(db) as factory:
        for _ in range(STEPS):
            with transaction(factory) as session:
                instance_id = applications.start(session, ctx, service="research_permit",
                                                 data=samples.research_application(), actor=APPLICANT).id
            with transaction(factory) as session:  # verification returns it: the step the bench times
                tasks.complete(session, ctx, _open_task(factory, instance_id), VERIFIER, {"note": "Lengkapi"},
                               RETURN)
        plans = _plans(factory)

    joined_writes = {sql: counts for sql, counts in plans.items() if sql.startswith("WITH w0 AS (UPDATE task SET")}
    task_reads = {sql: counts for sql, counts in plans.items()
                  if sql.startswith("SELECT task.id, task.instance_id") and "JOIN instance" in sql}
    # One text for the completion's writes and one for its read, whatever the step's data: each was prepared and
    # then run on one generic plan (no planning per step).
    assert len(joined_writes) == 1, sorted(plans)
    assert len(task_reads) == 1, sorted(plans)
    for generic, custom in (*joined_writes.values(), *task_reads.values()):
        assert custom <= 5
        assert generic >= STEPS - 5 - custom
