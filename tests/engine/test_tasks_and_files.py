"""Claiming, releasing, assigning and cancelling; services that span several BPMN files; lanes as groups."""

from __future__ import annotations

import pytest

from engine.bpmn.compiler import SourceFile
from engine.casework import applications, tasks
from engine.errors import Conflict, Forbidden, NotFound
from engine.forms.schemas import FormSource
from engine.people.access import Actor
from engine.services import definitions
from engine.storage.models import Event, Instance, Task
from tests.engine.conftest import APPLICANT, OTHER_APPLICANT, SUPERVISOR, VERIFIER, diagram, open_task_rows

REVIEW = diagram("""
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="review"/>
    <bpmn:userTask id="review" name="Periksa" camunda:candidateGroups="verifier"/>
    <bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="e"/><bpmn:endEvent id="e" name="Selesai"/>""")


@pytest.fixture
def task_id(db, ctx, deploy):
    deploy(REVIEW)
    with db.transaction() as session:
        instance = applications.start(session, ctx, service="p", data={}, actor=APPLICANT)
        return open_task_rows(session, instance.id)[0].id


def test_claim_then_unclaim_returns_the_task_to_the_queue(db, ctx, task_id):
    with db.transaction() as session:
        assert tasks.claim(session, ctx, task_id, VERIFIER).assignee == "vera"
    with db.transaction() as session:
        released = tasks.unclaim(session, ctx, task_id, VERIFIER)
        assert (released.state, released.assignee) == ("ready", None)
    with db.transaction() as session:
        kinds = [e.kind for e in session.query(Event).order_by(Event.id)]
    assert kinds[-2:] == ["task_claimed", "task_unclaimed"]


def test_only_the_holder_or_a_supervisor_can_release_a_claim(db, ctx, task_id):
    colleague = Actor.of("vivi", ["officer"], ["verifier"], ["sulsel"])
    with db.transaction() as session:
        tasks.claim(session, ctx, task_id, VERIFIER)
    with db.transaction() as session, pytest.raises(Forbidden):
        tasks.unclaim(session, ctx, task_id, colleague)
    with db.transaction() as session:
        assert tasks.unclaim(session, ctx, task_id, SUPERVISOR).assignee is None


def test_supervisor_assigns_to_an_officer_who_may_work_it(db, ctx, task_id):
    from engine.people import users

    with db.transaction() as session:
        users.create(session, username="vivi", password="rahasia-123", roles=["officer"], groups=["verifier"],
                     jurisdictions=["sulsel"], at=ctx.now())
        users.create(session, username="bona", password="rahasia-123", roles=["officer"], groups=["verifier"],
                     jurisdictions=["bone"], at=ctx.now())
    with db.transaction() as session:
        assert tasks.assign(session, ctx, task_id, "vivi", SUPERVISOR).assignee == "vivi"
    from engine.errors import InvalidInput

    with db.transaction() as session, pytest.raises(InvalidInput):
        tasks.assign(session, ctx, task_id, "bona", SUPERVISOR)  # another office
    with db.transaction() as session, pytest.raises(Forbidden):
        tasks.assign(session, ctx, task_id, "vivi", VERIFIER)  # not a supervisor


def _read_before(db, task_id: str) -> Task:
    """The task row as a request read it before a colleague's change committed."""
    with db.transaction() as session:
        return session.get(Task, task_id)


def _acting_on(session, stale: Task) -> Task:
    """Let the session work on the stale copy, as the slower of two simultaneous requests does (keep the result:
    the session holds its objects weakly)."""
    return session.merge(stale, load=False)


@pytest.fixture
def vivi(db, ctx) -> None:
    """A second verifier of the office, someone a supervisor may hand a task to."""
    from engine.people import users

    with db.transaction() as session:
        users.create(session, username="vivi", password="rahasia-123", roles=["officer"], groups=["verifier"],
                     jurisdictions=["sulsel"], at=ctx.now())


def test_a_release_or_reassignment_that_raced_a_completion_is_a_conflict_and_the_task_stays_done(db, ctx, task_id,
                                                                                                  vivi):
    with db.transaction() as session:
        tasks.claim(session, ctx, task_id, VERIFIER)
    stale = _read_before(db, task_id)
    with db.transaction() as session:
        tasks.complete(session, ctx, task_id, VERIFIER, {})
    for change in (lambda session: tasks.unclaim(session, ctx, task_id, VERIFIER),
                   lambda session: tasks.assign(session, ctx, task_id, "vivi", SUPERVISOR)):
        with db.transaction() as session, pytest.raises(Conflict, match="changed at the same moment"):
            held = _acting_on(session, stale)
            change(session)
        assert held.state == "claimed"  # the request's own (stale) view, not written
    with db.transaction() as session:
        row = session.get(Task, task_id)
        assert (row.state, row.assignee) == ("completed", "vera")


def test_a_release_that_raced_a_reassignment_does_not_undo_it(db, ctx, task_id, vivi):
    with db.transaction() as session:
        tasks.claim(session, ctx, task_id, VERIFIER)
    stale = _read_before(db, task_id)
    with db.transaction() as session:
        tasks.assign(session, ctx, task_id, "vivi", SUPERVISOR)
    with db.transaction() as session, pytest.raises(Conflict):
        held = _acting_on(session, stale)
        tasks.unclaim(session, ctx, task_id, VERIFIER)
    assert held.assignee == "vera"
    with db.transaction() as session:
        assert session.get(Task, task_id).assignee == "vivi"


def test_applicant_withdraws_before_any_decision_but_not_after(db, ctx, deploy):
    deploy(REVIEW)
    with db.transaction() as session:
        first = applications.start(session, ctx, service="p", data={}, actor=APPLICANT).id
        second = applications.start(session, ctx, service="p", data={}, actor=APPLICANT).id
    with db.transaction() as session, pytest.raises(NotFound):
        applications.cancel(session, ctx, first, OTHER_APPLICANT)
    with db.transaction() as session:
        applications.cancel(session, ctx, first, APPLICANT, reason="salah layanan")
    with db.transaction() as session:
        instance = session.get(Instance, first)
        assert instance.status == "cancelled"
        assert [t.state for t in session.query(Task).filter_by(instance_id=first)] == ["cancelled"]
        (task,) = open_task_rows(session, second)
    with db.transaction() as session:
        tasks.complete(session, ctx, task.id, VERIFIER, {})
    with db.transaction() as session, pytest.raises(Conflict):
        applications.cancel(session, ctx, second, APPLICANT)


def test_lane_name_is_the_candidate_group_when_none_is_given(db, ctx, deploy):
    deploy(diagram("""
    <bpmn:laneSet id="ls"><bpmn:lane id="l1" name="verifier"><bpmn:flowNodeRef>review</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="review"/>
    <bpmn:userTask id="review" name="Periksa"/>
    <bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="e"/><bpmn:endEvent id="e"/>"""))
    with db.transaction() as session:
        instance = applications.start(session, ctx, service="p", data={}, actor=APPLICANT)
        (task,) = open_task_rows(session, instance.id)
    assert task.candidate_groups == ["verifier"]
    with db.transaction() as session:
        tasks.complete(session, ctx, task.id, VERIFIER, {})


def test_a_service_whose_call_activity_lives_in_another_file(db, ctx):
    main = diagram("""
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="call"/>
    <bpmn:callActivity id="call" name="Pemeriksaan teknis" calledElement="technical_check"/>
    <bpmn:sequenceFlow id="f1" sourceRef="call" targetRef="e"/><bpmn:endEvent id="e" name="Selesai"/>""",
                   process_id="main_service")
    called = diagram("""
    <bpmn:startEvent id="cs"/><bpmn:sequenceFlow id="c0" sourceRef="cs" targetRef="inspect"/>
    <bpmn:userTask id="inspect" name="Periksa lapangan" camunda:candidateGroups="verifier"/>
    <bpmn:sequenceFlow id="c1" sourceRef="inspect" targetRef="ce"/><bpmn:endEvent id="ce"/>""",
                     process_id="technical_check", executable="false")
    with db.transaction() as session:
        definition = definitions.deploy(session, ctx, SourceFile("main.bpmn", main.encode()),
                                        [SourceFile("check.bpmn", called.encode())], FormSource(), actor="analyst",
                                        ).definition
        assert set(definition.extra_bpmn) == {"check.bpmn"}
        instance = applications.start(session, ctx, service="main_service", data={}, actor=APPLICANT)
        (task,) = open_task_rows(session, instance.id)
    assert (task.element_id, task.candidate_groups) == ("inspect", ["verifier"])
    with db.transaction() as session:
        tasks.complete(session, ctx, task.id, VERIFIER, {})
    with db.transaction() as session:
        assert session.get(Instance, instance.id).outcome == "Selesai"


def test_a_call_activity_whose_process_is_missing_is_located(ctx):
    main = diagram("""
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="call"/>
    <bpmn:callActivity id="call" calledElement="technical_check"/>
    <bpmn:sequenceFlow id="f1" sourceRef="call" targetRef="e"/><bpmn:endEvent id="e"/>""")
    compiled = definitions.lint(ctx, SourceFile("main.bpmn", main.encode()), [], FormSource())
    (problem,) = compiled.problems.errors
    assert (problem.code, problem.element_id, problem.line) == ("call_activity_missing", "call", 6)
