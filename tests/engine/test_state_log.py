"""SpiffWorkflow's state-change log line, built only when written (``engine.workflow.state_log``): the same records as
the library's own ``Task._set_state`` when ``spiff.task`` listens, nothing built when it does not."""

from __future__ import annotations

import logging

import pytest
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.workflow import state_log
from engine.workflow.runtime import new_workflow
from tests.engine.conftest import REVIEW_FORMS, REVIEW_THEN_DIVIDE

# The record's own fields vary by call (time, line, thread): compared are the message and what the library adds.
EXTRAS = ("workflow_spec", "task_spec", "task_id", "task_type", "state", "elapsed", "parent", "data",
          "internal_data")


class _Kept(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def spiff_log():
    """``spiff.task`` with a handler keeping its records; its level is the test's to set."""
    logger, handler = logging.getLogger("spiff.task"), _Kept()
    level = logger.level
    logger.addHandler(handler)
    try:
        yield logger, handler.records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.fixture
def review_task(db, ctx, deploy):
    """The ready review task of a new workflow of a small deployed service."""
    workflow = new_workflow(ctx, deploy(REVIEW_THEN_DIVIDE, REVIEW_FORMS))
    workflow.do_engine_steps()
    return next(t for t in workflow.get_tasks() if t.task_spec.name == "review")


def _changes(set_state, task, records) -> tuple[list, list]:
    """Move ``task`` READY → WAITING → WAITING (no change: the DEBUG line) → READY with ``set_state``; what was
    logged, and the task's states after each call."""
    start = len(records)
    states = []
    for value in (TaskState.WAITING, TaskState.WAITING, TaskState.READY):
        set_state(task, value)
        states.append(task.state)
    logged = [(r.levelno, r.getMessage(), tuple(_comparable(name, getattr(r, name, None)) for name in EXTRAS))
              for r in records[start:]]
    return logged, states


def _comparable(name: str, value):
    """The seconds since the previous change differ between two runs: compared is that there are some."""
    return (isinstance(value, float) and value >= 0) if name == "elapsed" else value


@pytest.mark.parametrize("level", [logging.DEBUG, logging.INFO])
def test_a_listening_logger_gets_exactly_the_librarys_records(review_task, spiff_log, level):
    logger, records = spiff_log
    logger.setLevel(level)
    task = review_task
    task.data["nik"] = "7371010101010001"  # data is part of the extras below INFO

    library = _changes(state_log.LIBRARY_SET_STATE, task, records)
    ours = _changes(state_log._set_state, task, records)

    assert ours == library
    expected_lines = 3 if level == logging.DEBUG else 2  # the unchanged state is logged at DEBUG only
    assert len(library[0]) == expected_lines
    assert library[0][0][1] == "State changed to WAITING"
    assert Task._set_state is state_log._set_state  # installed for every workflow the engine runs


def test_a_silent_logger_costs_no_log_line(review_task, spiff_log, monkeypatch):
    logger, records = spiff_log
    logger.setLevel(logging.WARNING)
    task = review_task
    built = []
    monkeypatch.setattr(Task, "collect_log_extras", lambda self, dct=None: built.append(dct) or {})

    before = task.last_state_change
    state_log._set_state(task, TaskState.WAITING)
    state_log._set_state(task, TaskState.WAITING)

    assert task.state == TaskState.WAITING and task.last_state_change >= before
    assert built == [] and records == []
    state_log.LIBRARY_SET_STATE(task, TaskState.READY)  # the library's own builds the extras all the same
    assert len(built) == 1 and records == []
