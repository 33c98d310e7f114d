"""External tasks as Camunda 7 runs them: the step that reaches a camunda:type="external" element writes the row,
a worker of a client allowed that topic locks and completes it as a step, locks expire, retries end in an incident
a person retries, a BPMN error goes to the boundary event that catches it."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from engine.casework import applications
from engine.casework.external_outbox import CANCELLED, DONE, INCIDENT, OPEN
from engine.errors import Forbidden, InvalidData, NotFound
from engine.integration import clients, external_tasks
from engine.integration.clients import Caller
from engine.integration.external_tasks import TopicRequest, WrongWorker
from engine.storage.models import Event, ExternalTask, Instance, Notification
from tests.engine.conftest import APPLICANT, SUPERVISOR, diagram, fields_form

# The NIK is checked by a registry worker; a BPMN error NIK_INVALID (or a week without an answer) rejects the file.
NIK_CHECK = diagram("""
    <bpmn:startEvent id="s" camunda:formKey="apply"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="check"/>
    <bpmn:serviceTask id="check" name="Cek NIK" camunda:type="external" camunda:topic="nik-check"
                      camunda:taskPriority="5">
      <bpmn:extensionElements><camunda:inputOutput>
        <camunda:inputParameter name="nik">${nik}</camunda:inputParameter>
        <camunda:outputParameter name="nik_valid" />
        <camunda:outputParameter name="registry_name">${name}</camunda:outputParameter>
      </camunda:inputOutput></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:boundaryEvent id="invalid" attachedToRef="check">
      <bpmn:errorEventDefinition id="ed" errorRef="err_nik"/></bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="fb" sourceRef="invalid" targetRef="rejected"/><bpmn:endEvent id="rejected" name="Ditolak"/>
    <bpmn:boundaryEvent id="late" attachedToRef="check">
      <bpmn:timerEventDefinition><bpmn:timeDuration>P7D</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="fl" sourceRef="late" targetRef="expired"/><bpmn:endEvent id="expired" name="Kedaluwarsa"/>
    <bpmn:sequenceFlow id="f1" sourceRef="check" targetRef="done"/><bpmn:endEvent id="done" name="NIK sah"/>""",
    extra='  <bpmn:error id="err_nik" name="NIK tidak sah" errorCode="NIK_INVALID"/>\n')
FORMS = {"apply": fields_form(nik="string", phone="string")}
REGISTRY = Caller("dukcapil", frozenset({"nik-check"}), frozenset(), frozenset())
OTHER = Caller("gateway", frozenset({"payment"}), frozenset(), frozenset())
ADMIN_ACTOR = "admin"


@pytest.fixture
def waiting(db, ctx, deploy):
    """An application whose NIK check waits for a worker; returns its id."""
    deploy(NIK_CHECK, FORMS)
    with db.transaction() as session:
        return applications.start(session, ctx, service="p", data={"nik": "7371010101010001", "phone": "0812"},
                                  actor=APPLICANT).id


def _fetch(db, ctx, worker="w1", caller=REGISTRY, topic="nik-check", lock_ms=60_000, **options):
    with db.transaction() as session:
        locked = external_tasks.fetch_and_lock(session, ctx, caller, worker, 10,
                                               [TopicRequest(topic, lock_ms, **options)])
        return [(item.row.id, item.variables) for item in locked]


def _instance(db, instance_id):
    with db.transaction() as session:
        instance = session.get(Instance, instance_id)
        session.expunge(instance)
        return instance


def _row(db, task_id):
    with db.transaction() as session:
        row = session.get(ExternalTask, task_id)
        session.expunge(row)
        return row


def test_the_step_that_reaches_an_external_service_task_writes_its_row(db, ctx, waiting):
    with db.transaction() as session:
        (row,) = session.query(ExternalTask).all()
        instance = session.get(Instance, waiting)
        assert (row.instance_id, row.topic, row.element_id, row.state, row.priority) == (
            waiting, "nik-check", "check", OPEN, 5)
        assert (row.business_key, row.jurisdiction) == (instance.registration_no, instance.jurisdiction)
        assert row.variables["nik"] == "7371010101010001"


def test_a_worker_sees_the_elements_inputs_only_and_its_completion_moves_the_application_on(db, ctx, waiting):
    ((task_id, variables),) = _fetch(db, ctx)
    assert variables == {"nik": "7371010101010001"}  # not the phone: the element declares its inputs
    with db.transaction() as session:
        external_tasks.complete(session, ctx, REGISTRY, task_id, "w1",
                                {"nik_valid": {"value": True, "type": "Boolean"},
                                 "name": {"value": "ANDI PRATAMA", "type": "String"}})
    instance = _instance(db, waiting)
    assert (instance.status, instance.outcome) == ("completed", "NIK sah")
    assert _row(db, task_id).state == DONE
    with db.transaction() as session:
        (event,) = session.query(Event).filter_by(kind="external_task_completed").all()
        assert event.actor == "client:dukcapil"
        assert event.data["data"] == {"nik_valid": True, "registry_name": "ANDI PRATAMA"}


def test_variables_the_element_does_not_declare_are_refused_by_name_and_nothing_moves(db, ctx, waiting):
    ((task_id, _),) = _fetch(db, ctx)
    with db.transaction() as session, pytest.raises(InvalidData) as refused:
        external_tasks.complete(session, ctx, REGISTRY, task_id, "w1",
                                {"nik_valid": {"value": True}, "is_admin": {"value": True, "type": "Boolean"}})
    assert list(refused.value.details) == ["is_admin"]
    assert _instance(db, waiting).status == "running"
    assert _row(db, task_id).state == OPEN


def test_a_completion_happens_once(db, ctx, waiting):
    ((task_id, _),) = _fetch(db, ctx)
    with db.transaction() as session:
        external_tasks.complete(session, ctx, REGISTRY, task_id, "w1", {"nik_valid": {"value": True}})
    with db.transaction() as session, pytest.raises(NotFound):
        external_tasks.complete(session, ctx, REGISTRY, task_id, "w1", {"nik_valid": {"value": True}})


def test_a_lock_runs_out_and_another_worker_fetches_the_task_the_first_may_no_longer_complete(db, ctx, clock,
                                                                                              waiting):
    ((task_id, _),) = _fetch(db, ctx, worker="w1", lock_ms=30_000)
    assert _fetch(db, ctx, worker="w2") == []  # locked
    clock.advance(timedelta(seconds=31))
    assert [item for item, _ in _fetch(db, ctx, worker="w2")] == [task_id]
    with db.transaction() as session, pytest.raises(WrongWorker, match="locked by worker 'w2'"):
        external_tasks.complete(session, ctx, REGISTRY, task_id, "w1", {})
    with db.transaction() as session, pytest.raises(WrongWorker, match="expired"):
        clock.advance(timedelta(minutes=2))
        external_tasks.extend_lock(session, ctx, REGISTRY, task_id, "w2", 60_000)


def test_an_unlocked_task_can_be_fetched_at_once(db, ctx, waiting):
    ((task_id, _),) = _fetch(db, ctx, worker="w1")
    with db.transaction() as session:
        external_tasks.unlock(session, ctx, REGISTRY, task_id)
    assert [item for item, _ in _fetch(db, ctx, worker="w2")] == [task_id]


def test_two_workers_racing_for_one_task_never_both_get_it(db, ctx, waiting):
    results, barrier = [], threading.Barrier(4)

    def worker(name):
        barrier.wait()
        results.append((name, _fetch(db, ctx, worker=name)))

    threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [(name, got) for name, got in results if got]
    assert len(winners) == 1
    ((winner, [(task_id, _)]),) = winners
    assert _row(db, task_id).worker_id == winner


def test_retries_count_down_to_an_incident_that_a_supervisor_retries(db, ctx, clock, waiting):
    from engine.people import users

    with db.transaction() as session:
        users.create(session, username="supri", password="rahasia-123", roles=["supervisor"], groups=[],
                     jurisdictions=["sulsel"], email="supri@dpmptsp.example.go.id", at=ctx.now())
    ((task_id, _),) = _fetch(db, ctx)
    with db.transaction() as session:
        external_tasks.handle_failure(session, ctx, REGISTRY, task_id, "w1", error_message="registry down",
                                      retries=1, retry_timeout_ms=60_000)
    assert _fetch(db, ctx) == []  # waits out the retry timeout
    clock.advance(timedelta(seconds=61))
    ((again, _),) = _fetch(db, ctx)
    with db.transaction() as session:
        external_tasks.handle_failure(session, ctx, REGISTRY, again, "w1", error_message="registry still down",
                                      error_details="Traceback …", retries=0)
    row, instance = _row(db, task_id), _instance(db, waiting)
    assert (row.state, row.retries, row.error_details) == (INCIDENT, 0, "Traceback …")
    assert (instance.status, instance.error_element) == ("error", "check")
    assert "registry still down" in instance.error_message
    clock.advance(timedelta(hours=1))
    assert _fetch(db, ctx) == []  # an incident is not fetched
    with db.transaction() as session:
        (told,) = session.query(Notification).filter_by(kind="application_stopped").all()
        assert told.recipient == "supri" and "check" in told.subject
        assert [i.id for i in external_tasks.incidents(session, waiting)] == [task_id]
    with db.transaction() as session:
        external_tasks.retry_incident(session, ctx, waiting, task_id, SUPERVISOR, retries=2, note="registry up")
    assert _instance(db, waiting).status == "running"
    ((fetched, _),) = _fetch(db, ctx)
    with db.transaction() as session:
        external_tasks.complete(session, ctx, REGISTRY, fetched, "w1", {"nik_valid": {"value": True}})
        assert session.query(Event).filter_by(kind="incident_retried").one().actor == SUPERVISOR.username
    assert _instance(db, waiting).status == "completed"


def test_a_bpmn_error_is_caught_by_the_boundary_event_of_its_code(db, ctx, waiting):
    ((task_id, _),) = _fetch(db, ctx)
    with db.transaction() as session:
        external_tasks.handle_bpmn_error(session, ctx, REGISTRY, task_id, "w1", "NIK_INVALID", "unknown NIK",
                                         {"nik_valid": {"value": False, "type": "Boolean"}})
    instance = _instance(db, waiting)
    assert (instance.status, instance.outcome, instance.error_message) == ("completed", "Ditolak", None)
    assert _row(db, task_id).state == DONE


def test_a_bpmn_error_nothing_catches_is_an_incident(db, ctx, waiting):
    ((task_id, _),) = _fetch(db, ctx)
    with db.transaction() as session:
        external_tasks.handle_bpmn_error(session, ctx, REGISTRY, task_id, "w1", "NO_SUCH_CODE")
    row, instance = _row(db, task_id), _instance(db, waiting)
    assert row.state == INCIDENT and "NO_SUCH_CODE" in row.error_details
    assert (instance.status, instance.error_element) == ("error", "check")


def test_a_boundary_timer_takes_the_task_away_from_the_workers(db, ctx, clock, waiting):
    from engine.casework import tasks

    ((task_id, _),) = _fetch(db, ctx)
    clock.advance(timedelta(days=8))
    with db.transaction() as session:
        tasks.fire_due_timers(session, ctx, waiting)
    assert _row(db, task_id).state == CANCELLED
    assert _instance(db, waiting).outcome == "Kedaluwarsa"
    with db.transaction() as session, pytest.raises(NotFound):
        external_tasks.complete(session, ctx, REGISTRY, task_id, "w1", {})


def test_a_client_fetching_another_topic_is_refused_and_sees_no_data(db, ctx, waiting):
    with db.transaction() as session, pytest.raises(Forbidden, match="nik-check"):
        external_tasks.fetch_and_lock(session, ctx, OTHER, "w9", 5, [TopicRequest("nik-check", 60_000)])
    assert _fetch(db, ctx, caller=OTHER, topic="payment") == []
    with db.transaction() as session:
        (row,) = session.query(ExternalTask).all()
        assert external_tasks.query(session, OTHER) == []
        with pytest.raises(NotFound):
            external_tasks.get(session, OTHER, row.id)


def test_a_client_of_other_offices_does_not_get_this_offices_tasks(db, ctx, waiting):
    bone_only = Caller("dukcapil-bone", frozenset({"nik-check"}), frozenset(), frozenset({"bone"}))
    assert _fetch(db, ctx, caller=bone_only) == []


def test_a_client_signs_in_with_its_name_and_secret_until_revoked(db, ctx):
    with db.transaction() as session:
        _, secret = clients.add(session, ctx, "dukcapil", topics=["nik-check"], actor=ADMIN_ACTOR)
    with db.transaction() as session:
        assert clients.authenticate(session, secret, "dukcapil").topics == {"nik-check"}
        assert clients.authenticate(session, secret).name == "dukcapil"  # as a bearer token
        with pytest.raises(clients.Unauthenticated):
            clients.authenticate(session, secret, "someone-else")
    with db.transaction() as session:
        _, new_secret = clients.rotate(session, ctx, "dukcapil", actor=ADMIN_ACTOR)
    with db.transaction() as session, pytest.raises(clients.Unauthenticated):
        clients.authenticate(session, secret, "dukcapil")
    with db.transaction() as session:
        clients.revoke(session, ctx, "dukcapil", actor=ADMIN_ACTOR)
    with db.transaction() as session, pytest.raises(clients.Unauthenticated):
        clients.authenticate(session, new_secret, "dukcapil")
