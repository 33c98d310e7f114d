"""Multi-instance steps, in Camunda's notation or the standard one, on every kind of task: deployed and run."""

from __future__ import annotations

import pytest

from engine.bpmn.compiler import SourceFile
from engine.casework import applications, tasks
from engine.forms.schemas import FormSource
from engine.services import definitions
from engine.storage.models import Instance
from tests.engine.conftest import APPLICANT, VERIFIER, diagram, open_task_rows

ITEMS_FORM = {"apply": {"type": "object", "properties": {"items": {"type": "array", "items": {"type": "integer"}}}}}


def _service(step: str, check: str, extra: str = "") -> str:
    """Start (form with ``items``) → ``step`` (id ``step``) → the file ends 'Benar' when ``check`` holds."""
    return diagram(f"""
    <bpmn:startEvent id="s" camunda:formKey="apply"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="step"/>
    {step}
    <bpmn:sequenceFlow id="f1" sourceRef="step" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw" default="wrong"/>
    <bpmn:sequenceFlow id="right" sourceRef="gw" targetRef="yes">
      <bpmn:conditionExpression>{check}</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="wrong" sourceRef="gw" targetRef="no"/>
    <bpmn:endEvent id="yes" name="Benar"/><bpmn:endEvent id="no" name="Salah"/>""", extra=extra)


def _run(db, ctx, data: dict) -> int:
    with db.transaction() as session:
        return applications.start(session, ctx, service="p", data=data, actor=APPLICANT).id


def _outcome(db, instance_id: int) -> tuple[str, str | None]:
    with db.transaction() as session:
        instance = session.get(Instance, instance_id)
        return instance.status, instance.outcome


@pytest.mark.parametrize("sequential", ["false", "true"])
def test_a_script_repeated_over_a_list_collects_one_result_per_item(db, ctx, deploy, sequential):
    deploy(_service(f"""
    <bpmn:scriptTask id="step" name="Hitung">
      <bpmn:multiInstanceLoopCharacteristics isSequential="{sequential}">
        <bpmn:loopDataInputRef>items</bpmn:loopDataInputRef><bpmn:inputDataItem id="item"/>
        <bpmn:loopDataOutputRef>results</bpmn:loopDataOutputRef><bpmn:outputDataItem id="result"/>
      </bpmn:multiInstanceLoopCharacteristics>
      <bpmn:script>result = item * 10</bpmn:script>
    </bpmn:scriptTask>""", "results == [10, 20, 30]"), ITEMS_FORM)
    assert _outcome(db, _run(db, ctx, {"items": [1, 2, 3]})) == ("completed", "Benar")


def test_a_camunda_collection_repeats_a_script_once_per_item_in_order_and_the_item_stays_in_its_instance(
        db, ctx, deploy):
    deploy(_service("""
    <bpmn:scriptTask id="step" name="Jumlahkan">
      <bpmn:multiInstanceLoopCharacteristics isSequential="true" camunda:collection="${items}"
                                             camunda:elementVariable="item"/>
      <bpmn:script>total = total + item</bpmn:script>
    </bpmn:scriptTask>""", "total == 6"),
           {"apply": {"type": "object", "properties": {"items": ITEMS_FORM["apply"]["properties"]["items"],
                                                        "total": {"type": "integer"}}}})
    assert _outcome(db, _run(db, ctx, {"items": [1, 2, 3], "total": 0})) == ("completed", "Benar")


@pytest.mark.parametrize("notation", [
    'camunda:collection="reviewers" camunda:elementVariable="reviewer"/>',
    '><bpmn:loopDataInputRef>reviewers</bpmn:loopDataInputRef><bpmn:inputDataItem id="reviewer"/>'
    "</bpmn:multiInstanceLoopCharacteristics>",
])
def test_a_user_task_repeated_over_a_list_is_one_task_row_per_item_and_completes(db, ctx, deploy, notation):
    deploy(_service(f"""
    <bpmn:userTask id="step" name="Telaah" camunda:candidateGroups="verifier">
      <bpmn:multiInstanceLoopCharacteristics {notation}
    </bpmn:userTask>""", "True"),
           {"apply": {"type": "object", "properties": {"reviewers": {"type": "array", "items": {"type": "string"}}}}})
    instance_id = _run(db, ctx, {"reviewers": ["dinas", "camat", "lurah"]})
    with db.transaction() as session:
        rows = open_task_rows(session, instance_id)
        assert [row.element_id for row in rows] == ["step"] * 3
        assert len({row.id for row in rows}) == 3
    for row_id in [row.id for row in rows]:
        assert _outcome(db, instance_id) == ("running", None)
        with db.transaction() as session:
            tasks.complete(session, ctx, row_id, VERIFIER, {})
    assert _outcome(db, instance_id) == ("completed", "Benar")


CALLED = """<bpmn:process id="count_one" isExecutable="true">
    <bpmn:startEvent id="c_s"/><bpmn:sequenceFlow id="c_f0" sourceRef="c_s" targetRef="c_script"/>
    <bpmn:scriptTask id="c_script"><bpmn:script>counted = 1</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="c_f1" sourceRef="c_script" targetRef="c_e"/><bpmn:endEvent id="c_e"/>
  </bpmn:process>
"""


@pytest.mark.parametrize("step, check", [
    ('<bpmn:callActivity id="step" calledElement="count_one"><bpmn:multiInstanceLoopCharacteristics>'
     "<bpmn:loopCardinality>2</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics></bpmn:callActivity>",
     "counted == 1"),
    ('<bpmn:subProcess id="step"><bpmn:multiInstanceLoopCharacteristics isSequential="true" '
     'camunda:collection="items" camunda:elementVariable="item"/><bpmn:startEvent id="in_s"/>'
     '<bpmn:sequenceFlow id="in_f0" sourceRef="in_s" targetRef="in_script"/><bpmn:scriptTask id="in_script">'
     '<bpmn:script>last = item</bpmn:script></bpmn:scriptTask><bpmn:sequenceFlow id="in_f1" sourceRef="in_script" '
     'targetRef="in_e"/><bpmn:endEvent id="in_e"/></bpmn:subProcess>', "last == 3"),
], ids=["call activity", "sub-process"])
def test_multi_instance_on_other_kinds_of_steps_deploys_and_runs(db, ctx, deploy, step, check):
    deploy(_service(step, check, extra=CALLED), ITEMS_FORM)
    assert _outcome(db, _run(db, ctx, {"items": [1, 2, 3]})) == ("completed", "Benar")


@pytest.mark.parametrize("loop, code, wording", [
    ("<bpmn:multiInstanceLoopCharacteristics/>", "multi_instance_input", "does not say what to repeat over"),
    ('<bpmn:multiInstanceLoopCharacteristics camunda:collection="${applicant.items()}"/>', "multi_instance_name",
     "must be the name of a process variable"),
    ("<bpmn:multiInstanceLoopCharacteristics><bpmn:loopDataInputRef>items</bpmn:loopDataInputRef>"
     "<bpmn:loopDataOutputRef>out</bpmn:loopDataOutputRef></bpmn:multiInstanceLoopCharacteristics>",
     "multi_instance_output", "only one of loopDataOutputRef and outputDataItem"),
    ('<bpmn:multiInstanceLoopCharacteristics camunda:collection="items"><bpmn:completionCondition>'
     "${nrOfCompletedInstances/nrOfInstances &gt;= 0.6}</bpmn:completionCondition>"
     "</bpmn:multiInstanceLoopCharacteristics>", "multi_instance_variables", "nrOfCompletedInstances"),
    ("<bpmn:standardLoopCharacteristics/>", "loop_unbounded", "neither when to stop"),
])
def test_a_loop_the_engine_could_not_run_is_refused_on_its_element(ctx, loop, code, wording):
    xml = _service(f'<bpmn:scriptTask id="step">{loop}<bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>', "True")
    compiled = definitions.lint(ctx, SourceFile("loop.bpmn", xml.encode()), [],
                                FormSource({"apply.json": b'{"type": "object"}'}, []))
    assert [(p.code, p.element_id) for p in compiled.problems.errors] == [(code, "step")]
    assert wording in compiled.problems.errors[0].message and compiled.problems.errors[0].line
