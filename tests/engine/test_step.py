"""Every path that advances a workflow goes through one step (engine/casework/step.py), in one pass: the task loaded
once, its form looked up once, the data checked once, one error for one mistake."""

from __future__ import annotations

import pytest

from engine.casework import applications, tasks, use_cases
from engine.errors import InvalidData, ProcessError
from engine.services import definitions
from engine.storage.models import Event, Instance
from tests.engine.conftest import APPLICANT, REVIEW_FORMS, REVIEW_THEN_DIVIDE, VERIFIER, open_task_rows


@pytest.fixture
def waiting_review(db, ctx, deploy):
    """An application waiting at the review step whose script divides by what the officer enters."""
    deploy(REVIEW_THEN_DIVIDE, REVIEW_FORMS)
    with db.transaction() as session:
        instance_id = applications.start(session, ctx, service="p", data={"base_fee": 100}, actor=APPLICANT).id
    with db.transaction() as session:
        (row,) = open_task_rows(session, instance_id)
    return instance_id, row.id


@pytest.mark.parametrize("complete", [
    lambda session, ctx, task_id, data: tasks.complete(session, ctx, task_id, VERIFIER, data),
    lambda session, ctx, task_id, data: use_cases.complete_task(session, ctx, task_id, VERIFIER, data=data),
], ids=["engine", "api use case"])
def test_data_that_is_not_an_object_is_one_error_whichever_way_it_comes(db, ctx, waiting_review, complete):
    _, task_id = waiting_review
    with db.transaction() as session, pytest.raises(InvalidData) as caught:
        complete(session, ctx, task_id, ["divisor", 2])
    assert caught.value.message == "The task data must be a JSON object of form fields."
    assert list(caught.value.details) == ["data"]


def test_a_completion_through_the_api_looks_the_task_and_its_form_up_once(db, ctx, waiting_review, monkeypatch):
    _, task_id = waiting_review
    lookups = {"form": 0, "task": 0}
    form_of, load = definitions.form_of, tasks._load

    def counting_form_of(*args, **kwargs):
        lookups["form"] += 1
        return form_of(*args, **kwargs)

    def counting_load(*args, **kwargs):
        lookups["task"] += 1
        return load(*args, **kwargs)

    monkeypatch.setattr(definitions, "form_of", counting_form_of)
    monkeypatch.setattr(tasks, "_load", counting_load)
    with db.transaction() as session:
        use_cases.complete_task(session, ctx, task_id, VERIFIER, data={"divisor": 4})
    assert lookups == {"form": 1, "task": 1}


def test_a_failing_step_flags_the_application_and_keeps_its_last_good_state(db, ctx, waiting_review):
    instance_id, task_id = waiting_review
    with db.transaction() as session:
        before = session.get(Instance, instance_id).state
    with db.transaction() as session, pytest.raises(ProcessError):
        tasks.complete(session, ctx, task_id, VERIFIER, {"divisor": 0})
    with db.transaction() as session:
        instance = session.get(Instance, instance_id)
        assert (instance.status, instance.error_element, instance.state) == ("error", "compute", before)
        assert session.query(Event).filter_by(instance_id=instance_id, kind="error").count() == 1
