"""A server process killed in the middle of a step leaves nothing half-written: every statement of the step has
run, the commit has not, and the application is exactly as before — the step can simply be done again. Killed
right after the commit, the acknowledged step is all there."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from engine.casework import applications, tasks
from engine.storage.models import Event, Instance, Task
from tests.conftest import PROJECT_ROOT
from tests.engine.conftest import APPLICANT, REVIEW_FORMS, REVIEW_THEN_DIVIDE, VERIFIER, open_task_rows

# The child completes the task and dies (like kill -9: no cleanup, no rollback) just before the commit.
CHILD = textwrap.dedent("""
    import os, sys
    from sqlalchemy.orm import Session
    from engine.casework import tasks
    from engine.config import Settings
    from engine.context import EngineContext
    from engine.storage.db import make_engine, make_session_factory, transaction
    from tests.engine.conftest import VERIFIER

    url, task_id = sys.argv[1], sys.argv[2]
    ctx = EngineContext(settings=Settings(database_url=url))
    factory = make_session_factory(make_engine(url))

    def die(self):
        self.flush()  # everything the step wrote has reached the database, uncommitted:
        state = self.connection().exec_driver_sql(f"SELECT state FROM task WHERE id = '{task_id}'").scalar()
        print("uncommitted task state:", state, flush=True)
        os._exit(137)

    if sys.argv[3] == "before-commit":
        Session.commit = die
    with transaction(factory) as session:
        tasks.complete(session, ctx, task_id, VERIFIER, {"divisor": 4})
    print("acknowledged", flush=True)  # what the server answers once the commit returned
    os._exit(137)
""")


def _run_child(db, task_id: str, when: str):
    return subprocess.run([sys.executable, "-c", CHILD, db.url, task_id, when], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=60)


def _waiting(db, ctx, deploy) -> tuple[int, str]:
    deploy(REVIEW_THEN_DIVIDE, REVIEW_FORMS)
    with db.transaction() as session:
        instance_id = applications.start(session, ctx, service="p", data={"base_fee": 100}, actor=APPLICANT).id
    with db.transaction() as session:
        (row,) = open_task_rows(session, instance_id)
        return instance_id, row.id


def _snapshot(db, instance_id):
    with db.transaction() as session:
        instance = session.get(Instance, instance_id)
        return (instance.revision, instance.state, instance.status,
                [(t.id, t.state) for t in session.query(Task).filter_by(instance_id=instance_id)],
                [e.kind for e in session.query(Event).filter_by(instance_id=instance_id)])


def test_a_process_killed_before_its_commit_leaves_the_application_as_it_was(db, ctx, deploy):
    instance_id, task_id = _waiting(db, ctx, deploy)
    before = _snapshot(db, instance_id)
    child = _run_child(db, task_id, "before-commit")
    assert child.returncode == 137, child.stderr
    assert "uncommitted task state: completed" in child.stdout  # the step had run when the process died
    assert _snapshot(db, instance_id) == before
    with db.transaction() as session:  # the officer simply does the step again
        tasks.complete(session, ctx, task_id, VERIFIER, {"divisor": 4})
    revision, _, status, rows, kinds = _snapshot(db, instance_id)
    assert (revision, status) == (before[0] + 1, "completed") and rows == [(task_id, "completed")]
    assert kinds == ["started", "task_completed", "completed"]


def test_a_process_killed_right_after_its_commit_keeps_the_acknowledged_step(db, ctx, deploy):
    instance_id, task_id = _waiting(db, ctx, deploy)
    child = _run_child(db, task_id, "after-commit")
    assert child.returncode == 137 and "acknowledged" in child.stdout, child.stderr
    _, _, status, rows, kinds = _snapshot(db, instance_id)
    assert status == "completed" and rows == [(task_id, "completed")]
    assert kinds == ["started", "task_completed", "completed"]
