"""Forms that no person fills in are still forms: what a message brings to a receive task or catch event
(``camunda:formKey`` on it) and what an external-task worker may set (``camunda:property name="variablesSchema"``)
are snapshotted with the definition and checked like form data — undeclared fields refused by name, nothing moves."""

from __future__ import annotations

import pytest

from engine.bpmn.compiler import SourceFile
from engine.casework import applications
from engine.errors import InvalidData, InvalidDefinition
from engine.forms.schemas import FormSource
from engine.integration import external_tasks, messages
from engine.integration.clients import Caller
from engine.integration.external_tasks import TopicRequest
from engine.services import definitions
from engine.storage.models import Event, FormSnapshot, Instance
from tests.engine.conftest import APPLICANT, diagram, fields_form, form_uploads

START = '<bpmn:startEvent id="s" camunda:formKey="apply"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="{}"/>'
RECEIPT_FORM = {"type": "object", "required": ["amount"],
                "properties": {"amount": {"type": "integer", "minimum": 1}, "paid_on": {"type": "string"}}}
RECEIVE = diagram(START.format("paid"), extra='<bpmn:message id="m_paid" name="payment_received"/>\n').replace(
    "</bpmn:process>", """
    <bpmn:receiveTask id="paid" name="Tunggu pembayaran" messageRef="m_paid" camunda:formKey="receipt"/>
    <bpmn:sequenceFlow id="f1" sourceRef="paid" targetRef="e"/><bpmn:endEvent id="e" name="Lunas"/>
  </bpmn:process>""")
CATCH = diagram(START.format("paid") + """
    <bpmn:intermediateCatchEvent id="paid" name="Lunas dibayar" camunda:formKey="receipt">
      <bpmn:messageEventDefinition messageRef="m_paid"/></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="paid" targetRef="e"/><bpmn:endEvent id="e" name="Lunas"/>""",
                extra='<bpmn:message id="m_paid" name="payment_received"/>\n')
WORKER = diagram(START.format("check") + """
    <bpmn:serviceTask id="check" name="Cek NIK" camunda:type="external" camunda:topic="nik-check">
      <bpmn:extensionElements><camunda:properties>
        <camunda:property name="variablesSchema" value="nik_result"/>
      </camunda:properties></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f1" sourceRef="check" targetRef="e"/><bpmn:endEvent id="e" name="NIK diperiksa"/>""")
NIK_RESULT = {"type": "object", "required": ["nik_valid"],
              "properties": {"nik_valid": {"type": "boolean"}, "registry_name": {"type": "string", "maxLength": 60}}}
FORMS = {"apply": fields_form(nik="string")}
BANK = Caller("bank", frozenset(), frozenset({"payment_received"}), frozenset())
REGISTRY = Caller("dukcapil", frozenset({"nik-check"}), frozenset(), frozenset())


def _start(db, ctx) -> tuple[int, str]:
    with db.transaction() as session:
        instance = applications.start(session, ctx, service="p", data={"nik": "7371"}, actor=APPLICANT)
        return instance.id, instance.registration_no


def _instance(db, instance_id) -> Instance:
    with db.transaction() as session:
        instance = session.get(Instance, instance_id)
        session.expunge(instance)
        return instance


def _pay(db, ctx, number: str, **values):
    with db.transaction() as session:
        return messages.correlate(session, ctx, BANK, "payment_received", business_key=number,
                                  process_variables={name: {"value": v} for name, v in values.items()})


@pytest.mark.parametrize("xml", [RECEIVE, CATCH], ids=["receive task", "message catch"])
def test_a_form_named_only_by_a_message_catch_is_snapshotted_and_checks_the_message(db, ctx, deploy, xml):
    definition = deploy(xml, {**FORMS, "receipt": RECEIPT_FORM})
    assert set(definition.forms) == {"apply", "receipt"}
    with db.transaction() as session:
        assert session.get(FormSnapshot, definition.forms["receipt"]).form_key == "receipt"
    first, number = _start(db, ctx)
    with pytest.raises(InvalidData) as refused:
        _pay(db, ctx, number, amount=50_000, approved=True)
    assert "approved" in refused.value.details
    with pytest.raises(InvalidData) as wrong:
        _pay(db, ctx, number, amount="lima puluh ribu")
    assert "amount" in wrong.value.details
    assert _instance(db, first).status == "running"
    (result,) = _pay(db, ctx, number, amount=50_000, paid_on="2026-06-01")
    assert result.variables["amount"] == 50_000
    assert _instance(db, first).outcome == "Lunas"


def test_a_catch_elements_missing_form_is_a_located_deploy_problem(deploy):
    with pytest.raises(InvalidDefinition) as refused:
        deploy(RECEIVE, FORMS)
    (problem,) = [p for p in refused.value.problems if p["code"] == "form_missing"]
    assert problem["element_id"] == "paid" and "receipt" in problem["message"]


def _fetched(db, ctx) -> str:
    with db.transaction() as session:
        (locked,) = external_tasks.fetch_and_lock(session, ctx, REGISTRY, "w1", 1, [TopicRequest("nik-check", 60_000)])
        return locked.row.id


def test_a_workers_variables_declared_by_a_json_schema_are_checked_like_form_data(db, ctx, deploy):
    definition = deploy(WORKER, {**FORMS, "nik_result": NIK_RESULT})
    assert "nik_result" in definition.forms
    first, _ = _start(db, ctx)
    task_id = _fetched(db, ctx)
    with db.transaction() as session, pytest.raises(InvalidData) as refused:
        external_tasks.complete(session, ctx, REGISTRY, task_id, "w1",
                                {"nik_valid": {"value": True}, "approved": {"value": True}})
    assert list(refused.value.details) == ["approved"]
    with db.transaction() as session, pytest.raises(InvalidData) as wrong:
        external_tasks.complete(session, ctx, REGISTRY, task_id, "w1", {"registry_name": {"value": "x" * 61}})
    assert set(wrong.value.details) == {"nik_valid", "registry_name"}
    assert _instance(db, first).status == "running"
    with db.transaction() as session:
        external_tasks.complete(session, ctx, REGISTRY, task_id, "w1",
                                {"nik_valid": {"value": True, "type": "Boolean"},
                                 "registry_name": {"value": "Andi", "type": "String"}})
    assert _instance(db, first).outcome == "NIK diperiksa"
    with db.transaction() as session:
        (event,) = session.query(Event).filter_by(kind="external_task_completed").all()
        assert event.data["data"] == {"nik_valid": True, "registry_name": "Andi"}


def test_a_variables_schema_that_is_not_there_is_a_located_deploy_problem(deploy):
    with pytest.raises(InvalidDefinition) as refused:
        deploy(WORKER, FORMS)
    (problem,) = [p for p in refused.value.problems if p["code"] == "form_missing"]
    assert problem["element_id"] == "check" and "nik_result" in problem["message"]


def _lint_problems(ctx, xml: str, forms: dict) -> list:
    compiled = definitions.lint(ctx, SourceFile("p.bpmn", xml.encode()), [], FormSource(form_uploads(forms), []))
    return [p.to_dict() for p in compiled.problems]


def test_lint_warns_of_a_variables_schema_no_worker_uses_or_one_beside_output_parameters(ctx):
    on_a_person = WORKER.replace('camunda:type="external" camunda:topic="nik-check"', "").replace(
        "bpmn:serviceTask", "bpmn:userTask")
    (unused,) = [p for p in _lint_problems(ctx, on_a_person, {**FORMS, "nik_result": NIK_RESULT})
                 if p["code"] == "variables_schema_unused"]
    assert unused["element_id"] == "check" and unused["severity"] == "warning" and "nik_result" in unused["message"]
    both = WORKER.replace("</camunda:properties>", '</camunda:properties><camunda:inputOutput>'
                          '<camunda:outputParameter name="nik_valid"/></camunda:inputOutput>')
    codes = [p["code"] for p in _lint_problems(ctx, both, {**FORMS, "nik_result": NIK_RESULT})]
    assert "variables_schema_with_outputs" in codes and "variables_schema_unused" not in codes
    assert not [p for p in _lint_problems(ctx, WORKER, {**FORMS, "nik_result": NIK_RESULT})
                if p["code"].startswith("variables_schema")]
