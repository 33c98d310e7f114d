"""Lint of the SLA settings in ``camunda:properties``: each unusable value is an error located on its property's line,
each setting the engine would not act on is a warning; the real services and sensible settings lint clean."""

from __future__ import annotations

import pytest

from engine.bpmn.compiler import SourceFile
from engine.forms.schemas import FormSource
from engine.services import definitions
from tests.conftest import PROJECT_ROOT
from tests.engine.conftest import diagram


def _props(values: dict | None) -> str:
    if not values:
        return ""
    items = "".join(f'<camunda:property name="{name}" value="{value}"/>' for name, value in values.items())
    return f"<bpmn:extensionElements><camunda:properties>{items}</camunda:properties></bpmn:extensionElements>"


def service(process=None, verify=None, revise=None, script=None, choices=("Setujui", "Kembalikan")) -> str:
    """Verify (verifiers) → a decision: the first choice goes on to a script and the end, the second to the
    applicant's revision (which loops back)."""
    approve, back = choices
    return diagram(f"""{_props(process)}
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="verify"/>
    <bpmn:userTask id="verify" name="Verifikasi" camunda:candidateGroups="verifier">{_props(verify)}</bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="verify" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw"/>
    <bpmn:sequenceFlow id="yes" name="{approve}" sourceRef="gw" targetRef="calc"/>
    <bpmn:sequenceFlow id="no" name="{back}" sourceRef="gw" targetRef="revise"/>
    <bpmn:userTask id="revise" name="Perbaiki" camunda:assignee="${{applicant}}">{_props(revise)}</bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="revise" targetRef="verify"/>
    <bpmn:scriptTask id="calc" name="Hitung" scriptFormat="python">{_props(script)}<bpmn:script>x = 1</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f3" sourceRef="calc" targetRef="e"/><bpmn:endEvent id="e"/>""")


def no_decision(process=None, verify=None) -> str:
    return diagram(f"""{_props(process)}
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="verify"/>
    <bpmn:userTask id="verify" name="Verifikasi" camunda:candidateGroups="verifier">{_props(verify)}</bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="verify" targetRef="e"/><bpmn:endEvent id="e"/>""")


def lint(ctx, xml: str):
    return definitions.lint(ctx, SourceFile("t.bpmn", xml.encode()), [], FormSource({}, []))


def sla_problems(compiled) -> list[tuple[str, str, str]]:
    return [(p.severity, p.code, p.element_id) for p in compiled.problems if p.code.startswith("sla")]


def test_sensible_settings_lint_clean(ctx):
    xml = service(process={"sla": "P5D", "sla.at_risk": "80%", "sla.on_breach": "approve", "calendar": "24x7"},
                  verify={"sla": "PT4H", "sla.at_risk": "0.5", "sla.escalate": "head_of_office",
                          "sla.approve": "Setujui", "calendar": "working"},
                  revise={"sla": "P10D", "sla.pause": "true", "calendar": "calendar=24x7"})
    compiled = lint(ctx, xml)
    assert sla_problems(compiled) == []
    assert compiled.ok


def test_the_real_services_have_no_sla_problem(ctx):
    for path in sorted((PROJECT_ROOT / "processes").glob("*.bpmn")):
        tables = [SourceFile(p.name, p.read_bytes()) for p in sorted(path.parent.glob("*.dmn"))]  # as deploy reads
        compiled = definitions.lint(ctx, SourceFile(path.name, path.read_bytes()), tables,
                                    definitions.form_source(ctx, path))
        assert sla_problems(compiled) == [], path.name
        assert compiled.ok


def test_a_step_target_longer_than_the_whole_file_is_a_warning_on_the_step(ctx):
    compiled = lint(ctx, no_decision(process={"sla": "P1D"}, verify={"sla": "P2D"}))
    assert sla_problems(compiled) == [("warning", "sla_step_exceeds_file", "verify")]
    (problem,) = [p for p in compiled.problems if p.code == "sla_step_exceeds_file"]
    assert "(P2D)" in problem.message and "(P1D)" in problem.message and problem.message_id
    assert compiled.ok  # a warning: the analyst may mean it
    for fits in ({"sla": "P1D"}, {"sla": "PT8H"}, {"sla": "P2D", "calendar": "24x7"}):
        assert sla_problems(lint(ctx, no_decision(process={"sla": "P1D"}, verify=fits))) == [], fits
    assert sla_problems(lint(ctx, no_decision(process={"sla": "PT4H"}, verify={"sla": "P1D"})))[0][1] == \
        "sla_step_exceeds_file"


@pytest.mark.parametrize(("given", "expected"), [
    ({"verify": {"sla": "PT4H", "sla.at_risk": "banyak"}}, ("sla_at_risk_invalid", "verify")),
    ({"verify": {"sla": "PT4H", "sla.at_risk": "0"}}, ("sla_at_risk_invalid", "verify")),
    ({"verify": {"sla": "PT4H", "sla.at_risk": "100%"}}, ("sla_at_risk_invalid", "verify")),
    ({"process": {"sla": "P5D", "sla.at_risk": "150%"}}, ("sla_at_risk_invalid", "p")),
    ({"verify": {"sla": "PT4H", "calendar": "24/7"}}, ("sla_calendar_invalid", "verify")),
    ({"process": {"sla": "P5D", "calendar": "kalender kantor"}}, ("sla_calendar_invalid", "p")),
    ({"revise": {"sla.pause": "benar"}}, ("sla_pause_invalid", "revise")),
    ({"verify": {"sla": "PT4H", "sla.escalate": " "}}, ("sla_escalate_invalid", "verify")),
    ({"verify": {"sla": "PT4H", "sla.escalate": "supervisor, kabid"}}, ("sla_escalate_invalid", "verify")),
    ({"verify": {"sla": "PT4H", "sla.escalate": "${group}"}}, ("sla_escalate_invalid", "verify")),
    ({"verify": {"sla": "PT4H", "sla.on_breach": "reject"}}, ("sla_on_breach_invalid", "verify")),
    ({"process": {"sla": "P5D", "sla.on_breach": "otomatis"}}, ("sla_on_breach_invalid", "p")),
    ({"verify": {"sla": "PT4H", "sla.on_breach": "approve", "sla.approve": "Setuju"}},
     ("sla_approve_invalid", "verify")),
    ({"process": {"sla": "P5D", "sla.on_breach": "approve", "sla.approve": "Lulus"}}, ("sla_approve_invalid", "p")),
    ({"verify": {"sla": "PT0H"}}, ("sla_invalid", "verify")),
])
def test_an_unusable_value_is_an_error_on_its_element(ctx, given, expected):
    compiled = lint(ctx, service(**given))
    assert [p[1:] for p in sla_problems(compiled) if p[0] == "error"] == [expected]
    assert not compiled.ok
    (problem,) = [p for p in compiled.problems if p.code == expected[0]]
    assert problem.message and problem.message_id and problem.file == "t.bpmn"


def test_the_problem_points_at_the_property_line_in_both_languages(ctx):
    xml = service(verify={"sla": "PT4H", "sla.at_risk": "separuh"})
    (problem,) = [p for p in lint(ctx, xml).problems if p.code == "sla_at_risk_invalid"]
    line = next(n for n, text in enumerate(xml.splitlines(), 1) if 'name="sla.at_risk"' in text)
    assert (problem.element_id, problem.line) == ("verify", line)
    assert "'separuh'" in problem.message and "0.75" in problem.message
    assert "separuh" in problem.message_id and "antara 0 dan 1" in problem.message_id
    assert problem.as_line().startswith(f"t.bpmn:{line}: verify: error: ")


def test_approving_a_step_without_a_decision_is_a_warning(ctx):
    compiled = lint(ctx, no_decision(process={"sla": "P5D", "sla.on_breach": "approve"}))
    assert sla_problems(compiled) == [("warning", "sla_on_breach_no_decision", "p")] and compiled.ok
    # The pass completes such steps automatically, without a decision: allowed, but said plainly.
    step = lint(ctx, no_decision(verify={"sla": "PT4H", "sla.on_breach": "approve"}))
    assert sla_problems(step) == [("warning", "sla_on_breach_no_decision", "verify")] and step.ok


def test_naming_the_approving_choice_makes_an_unusual_one_acceptable(ctx):
    named = lint(ctx, service(verify={"sla": "PT4H", "sla.on_breach": "approve", "sla.approve": "Teruskan"},
                              choices=("Teruskan", "Kembalikan")))
    assert sla_problems(named) == [] and named.ok
    on_process = lint(ctx, service(process={"sla": "P5D", "sla.on_breach": "approve", "sla.approve": "Teruskan"},
                                   choices=("Teruskan", "Kembalikan")))
    assert sla_problems(on_process) == [] and on_process.ok


@pytest.mark.parametrize(("given", "expected"), [
    ({"verify": {"sla": "PT4H", "sla.calendar": "24x7"}}, ("sla_property_unknown", "verify")),
    ({"revise": {"sla.pasue": "true"}}, ("sla_property_unknown", "revise")),
    ({"script": {"sla": "PT1H"}}, ("sla_property_ignored", "calc")),
    ({"process": {"sla": "P5D", "sla.escalate": "kabid"}}, ("sla_property_ignored", "p")),
    ({"process": {"sla.pause": "true"}}, ("sla_property_ignored", "p")),
    ({"revise": {"sla": "P10D", "sla.escalate": "kabid"}}, ("sla_property_ignored", "revise")),
    ({"revise": {"sla": "P10D", "sla.on_breach": "approve"}}, ("sla_property_ignored", "revise")),
    ({"verify": {"sla": "PT4H", "sla.pause": "true"}}, ("sla_pause_office_step", "verify")),
    ({"verify": {"sla.at_risk": "50%"}}, ("sla_without_target", "verify")),
    ({"verify": {"sla.escalate": "kabid"}}, ("sla_without_target", "verify")),
    ({"process": {"sla.on_breach": "approve"}}, ("sla_without_target", "p")),
    ({"verify": {"sla": "PT4H", "sla.approve": "Setujui"}}, ("sla_approve_unused", "verify")),
    # The pass then leaves the step breached and logs why (fiktif_positif_failed): allowed, but said.
    ({"verify": {"sla": "PT4H", "sla.on_breach": "approve"}, "choices": ("Teruskan", "Kembalikan")},
     ("sla_on_breach_no_approval", "verify")),
    ({"process": {"sla": "P5D", "sla.on_breach": "approve"}, "choices": ("Teruskan", "Kembalikan")},
     ("sla_on_breach_no_approval", "p")),
])
def test_a_setting_the_engine_would_not_act_on_is_a_warning(ctx, given, expected):
    compiled = lint(ctx, service(**given))
    assert sla_problems(compiled) == [("warning", *expected)]
    assert compiled.ok  # warnings never block a deploy


def test_unknown_keys_suggest_the_right_one(ctx):
    compiled = lint(ctx, service(verify={"sla": "PT4H", "sla.calendar": "24x7", "sla.escalte": "kabid"}))
    messages = {p.message for p in compiled.problems if p.code == "sla_property_unknown"}
    assert any("'calendar'" in m for m in messages) and any("Did you mean sla.escalate?" in m for m in messages)


def test_a_process_that_approves_warns_on_each_step_it_cannot_approve(ctx):
    xml = diagram(f"""{_props({"sla": "P5D", "sla.on_breach": "approve"})}
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="check"/>
    <bpmn:userTask id="check" name="Periksa" camunda:candidateGroups="verifier"/>
    <bpmn:sequenceFlow id="f1" sourceRef="check" targetRef="g1"/><bpmn:exclusiveGateway id="g1"/>
    <bpmn:sequenceFlow id="a" name="Teruskan" sourceRef="g1" targetRef="sign"/>
    <bpmn:sequenceFlow id="b" name="Tunda" sourceRef="g1" targetRef="e"/>
    <bpmn:userTask id="sign" name="Tanda tangan" camunda:candidateGroups="head_of_office"/>
    <bpmn:sequenceFlow id="f2" sourceRef="sign" targetRef="g2"/><bpmn:exclusiveGateway id="g2"/>
    <bpmn:sequenceFlow id="c" name="Setujui" sourceRef="g2" targetRef="e"/>
    <bpmn:sequenceFlow id="d" name="Tolak" sourceRef="g2" targetRef="e"/>
    <bpmn:endEvent id="e"/>""")
    compiled = lint(ctx, xml)
    assert sla_problems(compiled) == [("warning", "sla_on_breach_no_approval", "check")]
    assert compiled.ok


@pytest.mark.parametrize(("written", "suggested"), [
    ("2 hari", "P2D"), ("4 jam kerja", "PT4H"), ("1 hari 4 jam", "P1DT4H"), ("30 menit", "PT30M"),
    ("1 minggu", "P5D"), ("3 working days", "P3D"),
])
def test_a_target_written_as_people_say_it_is_refused_with_what_to_write(ctx, written, suggested):
    compiled = lint(ctx, service(verify={"sla": written}))
    (problem,) = [p for p in compiled.problems if p.code == "sla_invalid"]
    assert problem.element_id == "verify" and problem.severity == "error"
    assert f"write {suggested}." in problem.message and repr(written) in problem.message


def test_a_target_that_is_no_duration_at_all_gets_the_general_advice(ctx):
    compiled = lint(ctx, service(verify={"sla": "secepatnya"}))
    (problem,) = [p for p in compiled.problems if p.code == "sla_invalid"]
    assert "e.g. P2D (2 working days)" in problem.message


def test_a_problem_of_the_whole_file_is_printed_without_a_line_number():
    from engine.bpmn.problems import Problem

    whole = Problem("warning", "no_executable_process", "Nothing to run.", file="t.bpmn")
    assert whole.as_line() == "t.bpmn: -: warning: Nothing to run."
    assert Problem("error", "x", "Bad.", file="t.bpmn", line=7, element_id="verify").as_line() == (
        "t.bpmn:7: verify: error: Bad.")
