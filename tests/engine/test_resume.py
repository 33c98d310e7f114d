"""Resuming an application a failed step stopped: it runs again from its last good state, by an administrator or a
supervisor of the office, and is stopped again (truthfully recorded) when the cause is still there."""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine.casework import applications, tasks
from engine.context import EngineContext
from engine.errors import Conflict, Forbidden, ProcessError
from engine.people.access import Actor
from engine.storage.models import Event, Instance
from tests.engine.conftest import (
    APPLICANT,
    REVIEW_FORMS,
    REVIEW_THEN_DIVIDE,
    SUPERVISOR,
    VERIFIER,
    diagram,
    open_task_rows,
)

ADMIN = Actor.of("admin", ["admin"], [], ["*"])
BONE_SUPERVISOR = Actor.of("super.bone", ["supervisor"], [], ["bone"])

# A script that needs a moment: on an overloaded server it can exceed the sandbox's time budget.
COUNT_AT_START = diagram("""
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="count"/>
    <bpmn:scriptTask id="count" name="Hitung" scriptFormat="python">
      <bpmn:script>total = 0
for i in range(20000):
    total += i</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f1" sourceRef="count" targetRef="review"/>
    <bpmn:userTask id="review" name="Periksa" camunda:candidateGroups="verifier"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="e"/><bpmn:endEvent id="e" name="Selesai"/>""")


def _start(db, ctx, data=None):
    with db.transaction() as session:
        return applications.start(session, ctx, service="p", data=data or {}, actor=APPLICANT).id


def _complete(db, ctx, instance_id, data):
    with db.transaction() as session:
        (row,) = open_task_rows(session, instance_id)
        task_id = row.id
    with db.transaction() as session:
        tasks.complete(session, ctx, task_id, VERIFIER, data)


def _resume(db, ctx, instance_id, actor=SUPERVISOR, note="Data diperbaiki"):
    with db.transaction() as session:
        applications.resume(session, ctx, instance_id, actor, note=note)


def _state(db, instance_id):
    with db.transaction() as session:
        instance = session.get(Instance, instance_id)
        kinds = [e.kind for e in session.query(Event).filter_by(instance_id=instance_id).order_by(Event.id)]
        return instance.status, instance.error_element, [r.element_id for r in open_task_rows(session, instance_id)], \
            kinds


def test_a_step_that_failed_on_its_data_can_be_submitted_again_after_resuming(db, ctx, deploy):
    deploy(REVIEW_THEN_DIVIDE, REVIEW_FORMS)
    iid = _start(db, ctx, {"base_fee": 100})
    with pytest.raises(ProcessError):
        _complete(db, ctx, iid, {"divisor": 0})
    with pytest.raises(Conflict):  # stopped: no step is accepted
        _complete(db, ctx, iid, {"divisor": 4})
    _resume(db, ctx, iid)
    assert _state(db, iid)[:3] == ("running", None, ["review"])
    _complete(db, ctx, iid, {"divisor": 4})
    status, _, _, kinds = _state(db, iid)
    assert status == "completed"
    assert kinds == ["started", "error", "resumed", "task_completed", "completed"]
    with db.transaction() as session:
        resumed = session.query(Event).filter_by(instance_id=iid, kind="resumed").one()
        assert resumed.actor == "supri" and resumed.element_id == "compute"
        assert resumed.data["note"] == "Data diperbaiki" and "division by zero" in resumed.data["failed"]


def test_a_start_that_ran_out_of_time_goes_on_when_resumed(db, ctx, settings, clock, deploy):
    deploy(COUNT_AT_START)
    overloaded = EngineContext(settings=replace(settings, script_time_limit=0.000001), clock=clock)
    iid = _start(db, overloaded)
    assert _state(db, iid)[:3] == ("error", "count", [])
    _resume(db, ctx, iid, actor=ADMIN)
    assert _state(db, iid)[:3] == ("running", None, ["review"])
    with db.transaction() as session:
        assert applications.current_data(ctx, session.get(Instance, iid))["total"] == sum(range(20000))


def test_when_the_cause_is_still_there_it_stops_again_and_says_so(db, ctx, settings, clock, deploy):
    deploy(COUNT_AT_START)
    overloaded = EngineContext(settings=replace(settings, script_time_limit=0.000001), clock=clock)
    iid = _start(db, overloaded)
    with pytest.raises(ProcessError) as again:
        _resume(db, overloaded, iid)
    assert again.value.element_id == "count"
    assert _state(db, iid) == ("error", "count", [], ["started", "error", "resumed", "error"])


def test_only_an_administrator_or_a_supervisor_of_the_office_may_resume(db, ctx, deploy):
    deploy(REVIEW_THEN_DIVIDE, REVIEW_FORMS)
    iid = _start(db, ctx, {"base_fee": 100})
    with pytest.raises(ProcessError):
        _complete(db, ctx, iid, {"divisor": 0})
    with pytest.raises(Forbidden):
        _resume(db, ctx, iid, actor=VERIFIER)
    with pytest.raises((Forbidden, applications.NotFound)):  # another office's supervisor does not even see it
        _resume(db, ctx, iid, actor=BONE_SUPERVISOR)
    assert _state(db, iid)[0] == "error"


def test_an_application_that_is_not_stopped_cannot_be_resumed(db, ctx, deploy):
    deploy(REVIEW_THEN_DIVIDE, REVIEW_FORMS)
    iid = _start(db, ctx, {"base_fee": 100})
    with pytest.raises(Conflict, match="only an application stopped by an error"):
        _resume(db, ctx, iid)


def _account(session, ctx, username, roles, jurisdictions, email=None):
    from engine.people import users

    users.create(session, username=username, password="rahasia-123", roles=roles, groups=[],
                 jurisdictions=jurisdictions, email=email, at=ctx.now())


def _told(db, kind="application_stopped"):
    from engine.storage.models import Notification

    with db.transaction() as session:
        return sorted((n.recipient, n.email, n.subject, n.body) for n in session.query(Notification).filter_by(
            kind=kind))


def test_the_offices_supervisors_are_told_where_and_why_an_application_stopped(db, ctx, deploy):
    deploy(REVIEW_THEN_DIVIDE, REVIEW_FORMS)
    with db.transaction() as session:
        _account(session, ctx, "supri", ["supervisor"], ["sulsel"], email="supri@dpmptsp.example.go.id")
        _account(session, ctx, "super.bone", ["supervisor"], ["bone"])
        _account(session, ctx, "admin", ["admin"], ["*"])
    iid = _start(db, ctx, {"base_fee": 100})
    with pytest.raises(ProcessError):
        _complete(db, ctx, iid, {"divisor": 0})
    (told,) = _told(db)  # not Bone's supervisor, not the administrator while the office has a supervisor
    recipient, email, subject, body = told
    assert (recipient, email) == ("supri", "supri@dpmptsp.example.go.id")
    assert "stopped at step compute" in subject and "division by zero" in body and "resume" in body


def test_without_a_supervisor_in_the_office_the_administrators_are_told(db, ctx, deploy):
    deploy(REVIEW_THEN_DIVIDE, REVIEW_FORMS)
    with db.transaction() as session:
        _account(session, ctx, "admin", ["admin"], ["*"])
    iid = _start(db, ctx, {"base_fee": 100})
    with pytest.raises(ProcessError):
        _complete(db, ctx, iid, {"divisor": 0})
    assert [recipient for recipient, *_ in _told(db)] == ["admin"]
