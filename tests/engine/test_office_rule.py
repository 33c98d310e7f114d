"""A service decides which office works its files; a rule that would let an applicant type the office is refused
at deploy, and at every start the answer must be one of the offices the start form lists."""

from __future__ import annotations

import pytest

from engine.casework import applications
from engine.errors import InvalidData, InvalidDefinition, InvalidInput
from engine.services import office_rule
from tests.engine.conftest import APPLICANT, diagram


def _service(rule: str) -> str:
    return diagram(f"""
    <bpmn:extensionElements><camunda:properties>
      <camunda:property name="jurisdiction" value="{rule}" />
    </camunda:properties></bpmn:extensionElements>
    <bpmn:startEvent id="start" camunda:formKey="apply"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="check"/>
    <bpmn:userTask id="check" name="Periksa" camunda:candidateGroups="verifier"/>
    <bpmn:sequenceFlow id="f1" sourceRef="check" targetRef="end"/><bpmn:endEvent id="end"/>""", process_id="izin")


def _form(region: dict) -> dict:
    return {"type": "object", "properties": {"region": region, "title": {"type": "string"}}, "required": ["region"]}


LISTED = _form({"type": "string", "oneOf": [{"const": "sinjai", "title": "Kabupaten Sinjai"},
                                            {"const": "bone", "title": "Kabupaten Bone"}]})


def _office_error(refused) -> dict:
    (problem,) = [p for p in refused.value.problems if p["code"] == "office_rule"]
    return problem


def test_a_service_routed_by_a_free_text_field_is_refused_at_deploy_naming_the_field(deploy):
    with pytest.raises(InvalidDefinition) as refused:
        deploy(_service("${region}"), {"apply": _form({"type": "string"})})
    problem = _office_error(refused)
    assert problem["severity"] == "error" and problem["element_id"] == "izin" and problem["file"] == "test.bpmn"
    assert "'region'" in problem["message"] and "enum" in problem["message"]
    assert "any office" in problem["message"] and problem["message_id"]


def test_a_service_routed_by_a_field_the_start_form_lacks_is_refused_at_deploy(deploy):
    with pytest.raises(InvalidDefinition) as refused:
        deploy(_service("${regency}"), {"apply": LISTED})
    assert "'regency'" in _office_error(refused)["message"]


@pytest.mark.parametrize(("rule", "form", "says"), [
    ("Kantor Sinjai", LISTED, "'Kantor Sinjai'"),
    ("${region + 'x'}", LISTED, "neither an office code"),
    ("${region}", _form({"enum": ["sinjai", "Kota Makassar"]}), "'Kota Makassar'"),
])
def test_an_office_rule_that_names_no_office_code_is_refused_at_deploy(deploy, rule, form, says):
    with pytest.raises(InvalidDefinition) as refused:
        deploy(_service(rule), {"apply": form})
    assert says in _office_error(refused)["message"]


def test_a_service_routed_by_a_listed_field_puts_each_file_in_the_chosen_office(db, ctx, deploy):
    deploy(_service("${region}"), {"apply": LISTED})
    with db.transaction() as session:
        sinjai = applications.start(session, ctx, service="izin", data={"region": "sinjai"}, actor=APPLICANT)
        bone = applications.start(session, ctx, service="izin", data={"region": "bone"}, actor=APPLICANT)
        assert (sinjai.jurisdiction, bone.jurisdiction) == ("sinjai", "bone")
        with pytest.raises(InvalidData) as refused:
            applications.start(session, ctx, service="izin", data={"region": "ghost"}, actor=APPLICANT)
    assert set(refused.value.details) == {"region"}


def test_a_fixed_office_takes_every_file(db, ctx, deploy):
    deploy(_service("sinjai"), {"apply": LISTED})
    with db.transaction() as session:
        instance = applications.start(session, ctx, service="izin", data={"region": "bone"}, actor=APPLICANT)
    assert instance.jurisdiction == "sinjai"


def test_a_version_deployed_before_the_check_cannot_route_by_free_text():
    """Versions deployed earlier keep their forms: the start refuses what the deploy check now refuses."""
    free_text = _form({"type": "string"})
    with pytest.raises(InvalidInput) as refused:
        office_rule.office_of("izin", {"jurisdiction": "${region}"}, free_text, {"region": "ghost"}, "sulsel")
    assert set(refused.value.details) == {"region"} and "deploy the service again" in refused.value.message
    with pytest.raises(InvalidData) as unlisted:
        office_rule.office_of("izin", {"jurisdiction": "${region}"}, LISTED, {"region": "ghost"}, "sulsel")
    assert set(unlisted.value.details) == {"region"}
    with pytest.raises(InvalidData) as empty:
        office_rule.office_of("izin", {"jurisdiction": "${region}"}, LISTED, {}, "sulsel")
    assert set(empty.value.details) == {"region"}
    assert office_rule.office_of("izin", {}, None, {}, "sulsel") == "sulsel"


def _service_with_step_rule(rule: str) -> str:
    return diagram(f"""
    <bpmn:startEvent id="start" camunda:formKey="apply"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="check"/>
    <bpmn:userTask id="check" name="Periksa" camunda:candidateGroups="verifier">
      <bpmn:extensionElements><camunda:properties>
        <camunda:property name="jurisdiction" value="{rule}" />
      </camunda:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="check" targetRef="end"/><bpmn:endEvent id="end"/>""", process_id="izin")


def test_a_step_routed_by_a_field_people_type_freely_is_refused_at_deploy_on_that_step(deploy):
    with pytest.raises(InvalidDefinition) as refused:
        deploy(_service_with_step_rule("${region}"), {"apply": _form({"type": "string"})})
    problem = _office_error(refused)
    assert problem["element_id"] == "check" and "'region'" in problem["message"]


def test_a_step_routed_by_a_listed_field_or_a_script_value_deploys_and_goes_there(db, ctx, deploy):
    deploy(_service_with_step_rule("${region}"), {"apply": LISTED})
    deploy(_service_with_step_rule("${office_set_by_script}").replace('id="izin"', 'id="izin2"'),
           {"apply": LISTED})
    with db.transaction() as session:
        instance = applications.start(session, ctx, service="izin", data={"region": "bone"}, actor=APPLICANT)
        (step,) = applications.open_tasks(session, instance)
    assert (instance.jurisdiction, step.jurisdiction) == ("sulsel", "bone")
