"""A message throw or message end event never stops an application with a crash: without ``camunda:expression``
it sends its message with no variables to the application waiting for it; with ``camunda:type="external"`` a
worker outside does it (a message end event too, ending its path when the worker completes); one that names no
message is refused by lint and deploy alike, located."""

from __future__ import annotations

import pytest

from engine.bpmn.compiler import SourceFile
from engine.casework import applications
from engine.errors import InvalidDefinition
from engine.forms.schemas import FormSource
from engine.integration import external_tasks
from engine.integration.clients import Caller
from engine.integration.external_tasks import TopicRequest
from engine.services import definitions
from engine.storage.models import ExternalTask, Instance
from tests.engine.conftest import APPLICANT, diagram, fields_form
from tests.engine.test_messages import CATCH, FORMS

NOTICE = Caller("oss", frozenset({"oss-notice"}), frozenset(), frozenset())
MESSAGE = '<bpmn:message id="m_paid" name="payment_received"/>\n'


def thrower(element: str, process_id: str = "kirim", end: str = '<bpmn:endEvent id="e" name="Terkirim"/>') -> str:
    """Start → ``element`` (id ``send``) → end, in a service of its own."""
    flow = '<bpmn:sequenceFlow id="f1" sourceRef="send" targetRef="e"/>' if end else ""
    return diagram(f"""
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="send"/>
    {element}{flow}{end}""", process_id=process_id, extra=MESSAGE)


THROW = thrower('<bpmn:intermediateThrowEvent id="send" name="Kabari kasir">'
                '<bpmn:messageEventDefinition messageRef="m_paid"/></bpmn:intermediateThrowEvent>')
END = thrower('<bpmn:endEvent id="send" name="Lunas dikabarkan">'
              '<bpmn:messageEventDefinition messageRef="m_paid"/></bpmn:endEvent>', end="")
EXTERNAL_END = thrower('<bpmn:endEvent id="send" name="Dilaporkan ke OSS"><bpmn:messageEventDefinition '
                       'messageRef="m_paid" camunda:type="external" camunda:topic="oss-notice"/></bpmn:endEvent>',
                       end="")
UNNAMED = thrower('<bpmn:endEvent id="send"><bpmn:messageEventDefinition/></bpmn:endEvent>', end="")


def _start(db, ctx, service: str, data: dict | None = None) -> int:
    with db.transaction() as session:
        return applications.start(session, ctx, service=service, data=data or {}, actor=APPLICANT).id


def _instance(db, instance_id: int) -> Instance:
    with db.transaction() as session:
        instance = session.get(Instance, instance_id)
        session.expunge(instance)
        return instance


@pytest.mark.parametrize(("xml", "sender_outcome"), [(THROW, "Terkirim"), (END, "Lunas dikabarkan")])
def test_a_throw_without_an_expression_reaches_the_waiting_application(db, ctx, deploy, xml, sender_outcome):
    deploy(CATCH, FORMS)
    deploy(xml, name="kirim.bpmn")
    waiting = _start(db, ctx, "p", {"nik": "7371", "bill": "B-1"})
    sender = _start(db, ctx, "kirim")
    assert (_instance(db, sender).status, _instance(db, sender).outcome) == ("completed", sender_outcome)
    assert (_instance(db, waiting).status, _instance(db, waiting).outcome) == ("completed", "Lunas")


@pytest.mark.parametrize("xml", [THROW, END])
def test_with_nobody_waiting_the_sender_stops_at_the_throwing_element_with_a_message_saying_why(db, ctx, deploy,
                                                                                                xml):
    deploy(xml, name="kirim.bpmn")
    stopped = _instance(db, _start(db, ctx, "kirim"))
    assert (stopped.status, stopped.error_element) == ("error", "send")
    assert "No application waits for the message 'payment_received'" in stopped.error_message
    assert "expression" not in stopped.error_message  # no longer the library's "Error evaluating expression 'None'"


def test_an_external_message_end_event_is_a_workers_task_and_ends_the_file_when_done(db, ctx, deploy):
    deploy(EXTERNAL_END, {"apply": fields_form()}, name="kirim.bpmn")
    sent = _start(db, ctx, "kirim")
    assert _instance(db, sent).status == "running"
    with db.transaction() as session:
        (locked,) = external_tasks.fetch_and_lock(session, ctx, NOTICE, "w1", 5, [TopicRequest("oss-notice", 60_000)])
        assert (locked.row.element_id, locked.row.instance_id) == ("send", sent)
    with db.transaction() as session:
        external_tasks.complete(session, ctx, NOTICE, locked.row.id, "w1", {})
    done = _instance(db, sent)
    assert (done.status, done.outcome) == ("completed", "Dilaporkan ke OSS")
    with db.transaction() as session:
        assert session.query(ExternalTask).filter_by(instance_id=sent).one().state == "done"


def test_a_message_throw_that_names_no_message_is_refused_located_by_lint_and_deploy(db, ctx):
    source = SourceFile("kirim.bpmn", UNNAMED.encode())
    compiled = definitions.lint(ctx, source, [], FormSource({}, []))
    (problem,) = [p for p in compiled.problems if p.code == "message_throw_unnamed"]
    assert (problem.severity, problem.element_id, problem.line) == ("error", "send", 6)  # the endEvent's line
    assert "camunda:topic" in problem.message
    with db.transaction() as session, pytest.raises(InvalidDefinition) as refused:
        definitions.deploy(session, ctx, source, [], FormSource({}, []), actor="analyst")
    assert "message_throw_unnamed" in str(refused.value.details)
