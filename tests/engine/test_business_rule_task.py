"""A business rule task evaluates the decision table deployed with its diagram, and the result lands in the task
data; a table that cannot decide (two UNIQUE rules match) stops the application with both rules named."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.bpmn.compiler import SourceFile
from engine.casework import applications
from engine.forms.schemas import FormSource
from engine.services import definitions
from engine.storage.models import Instance
from engine.workflow import runtime
from tests.engine.conftest import APPLICANT, diagram, fields_form, form_uploads
from tests.engine.test_decisions import table_xml

FEE_TABLE = Path(__file__).parent / "dmn" / "retribusi_kapal.dmn"
APPLY = {"apply": {"type": "object", "properties": {
    "kapal": {"type": "object", "properties": {"gt": {"type": "number"}}}, "jenis_pemohon": {"type": "string"}}}}


def fee_service(mapping: str = "singleResult", result_variable: str = "biaya", decision: str = "retribusi_kapal"
                ) -> str:
    """Start (form: kapal.gt, jenis_pemohon) → business rule task → an officer's review (so data can be read)."""
    variable = f' camunda:resultVariable="{result_variable}"' if result_variable else ""
    return diagram(f"""
    <bpmn:startEvent id="s" camunda:formKey="apply"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="fee"/>
    <bpmn:businessRuleTask id="fee" name="Hitung retribusi" camunda:decisionRef="{decision}"{variable}
                           camunda:mapDecisionResult="{mapping}"/>
    <bpmn:sequenceFlow id="f1" sourceRef="fee" targetRef="review"/>
    <bpmn:userTask id="review" name="Periksa" camunda:candidateGroups="verifier"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="e"/><bpmn:endEvent id="e" name="Selesai"/>""",
                   process_id="izin_kapal")


def deploy_with(db, ctx, xml: str, tables: list[tuple[str, bytes]], forms: dict | None = None):
    with db.transaction() as session:
        return definitions.deploy(session, ctx, SourceFile("izin_kapal.bpmn", xml.encode()),
                                  [SourceFile(name, data) for name, data in tables],
                                  FormSource(form_uploads(forms or APPLY), []), actor="analyst").definition


def start(db, ctx, data: dict) -> int:
    with db.transaction() as session:
        return applications.start(session, ctx, service="izin_kapal", data=data, actor=APPLICANT).id


def data_at_review(db, ctx, instance_id: int) -> dict:
    with db.transaction() as session:
        workflow = runtime.load(ctx, session.get(Instance, instance_id))
        (task,) = [t for t in workflow.get_tasks() if t.task_spec.bpmn_id == "review" and t.state == 16]
        return task.data


@pytest.mark.parametrize(("mapping", "expected"), [
    ("singleResult", {"retribusi": 250000, "keterangan": "Kapal 10-30 GT"}),
    ("resultList", [{"retribusi": 250000, "keterangan": "Kapal 10-30 GT"}]),
])
def test_the_fee_from_the_table_lands_in_the_task_data(db, ctx, mapping, expected):
    deploy_with(db, ctx, fee_service(mapping), [(FEE_TABLE.name, FEE_TABLE.read_bytes())])
    instance_id = start(db, ctx, {"kapal": {"gt": 12}, "jenis_pemohon": "perorangan"})
    assert data_at_review(db, ctx, instance_id)["biaya"] == expected


def test_single_entry_and_collect_entries_store_bare_values(db, ctx):
    points = table_xml([("n", "integer")], [("points", "integer")],
                       [(["< 10"], ["1"]), (["< 20"], ["2"])], hit_policy="COLLECT", decision_id="points")
    first = table_xml([("n", "integer")], [("points", "integer")],
                      [(["< 10"], ["1"]), (["< 20"], ["2"])], hit_policy="FIRST", decision_id="first")
    apply = {"apply": fields_form(n="integer")}
    deploy_with(db, ctx, fee_service("collectEntries", "all", "points"), [("points.dmn", points.encode())], apply)
    assert data_at_review(db, ctx, start(db, ctx, {"n": 5}))["all"] == [1, 2]
    deploy_with(db, ctx, fee_service("singleEntry", "one", "first"), [("first.dmn", first.encode())], apply)
    assert data_at_review(db, ctx, start(db, ctx, {"n": 5}))["one"] == 1


def test_without_a_result_variable_the_outputs_are_written_under_their_names(db, ctx):
    deploy_with(db, ctx, fee_service(result_variable=""), [(FEE_TABLE.name, FEE_TABLE.read_bytes())])
    data = data_at_review(db, ctx, start(db, ctx, {"kapal": {"gt": 3}, "jenis_pemohon": "nelayan_kecil"}))
    assert (data["retribusi"], data["keterangan"]) == (0, "Dibebaskan: nelayan kecil")


def test_two_unique_rules_matching_flag_the_application_naming_both(db, ctx):
    overlapping = table_xml([("n", "integer")], [("points", "integer")],
                            [(["< 10"], ["1"]), (["< 20"], ["2"])], decision_id="overlap")
    deploy_with(db, ctx, fee_service("singleEntry", "p", "overlap"), [("overlap.dmn", overlapping.encode())],
                {"apply": fields_form(n="integer")})
    instance_id = start(db, ctx, {"n": 5})
    with db.transaction() as session:
        instance = session.get(Instance, instance_id)
        assert (instance.status, instance.error_element) == ("error", "fee")
        assert "rule 1 (r1) and rule 2 (r2)" in instance.error_message
    assert data_at_review_or_none(db, ctx, instance_id) is None


def data_at_review_or_none(db, ctx, instance_id):
    try:
        return data_at_review(db, ctx, instance_id)
    except ValueError:
        return None


def test_a_decision_that_is_not_deployed_is_a_located_problem(db, ctx):
    compiled = definitions.lint(ctx, SourceFile("izin_kapal.bpmn", fee_service(decision="nope").encode()),
                                [SourceFile(FEE_TABLE.name, FEE_TABLE.read_bytes())],
                                FormSource(form_uploads(APPLY), []))
    errors = [(p.element_id, p.message) for p in compiled.problems.errors]
    assert len(errors) == 1 and errors[0][0] == "fee" and "'nope'" in errors[0][1]


def test_unsupported_feel_in_a_deployed_table_refuses_the_deploy_with_its_location(db, ctx):
    bad = table_xml([("n", "integer")], [("points", "integer")], [(["sum(n) > 1"], ["1"])], decision_id="bad")
    compiled = definitions.lint(ctx, SourceFile("izin_kapal.bpmn", fee_service(decision="bad").encode()),
                                [SourceFile("bad.dmn", bad.encode())], FormSource(form_uploads(APPLY), []))
    (problem,) = [p for p in compiled.problems.errors if p.code == "decision_feel"]
    assert (problem.file, problem.element_id) == ("bad.dmn", "r1")
    assert "Decision 'bad', rule 1 (r1), input 'column 0'" in problem.message
