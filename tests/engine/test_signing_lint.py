"""Lint of the signing step and the letter number: a signing step nobody could ever sign, or a number pattern the
signing step would refuse, is an error at deploy, located on its element and line."""

from __future__ import annotations

import re

from engine.bpmn.compiler import SourceFile
from engine.forms.schemas import FormSource
from engine.services import definitions
from tests.conftest import PROJECT_ROOT
from tests.engine.conftest import diagram

RESEARCH = (PROJECT_ROOT / "processes" / "research_permit.bpmn").read_text(encoding="utf-8")


def _lint(ctx, xml: str):
    path = PROJECT_ROOT / "processes" / "research_permit.bpmn"
    return definitions.lint(ctx, SourceFile(path.name, xml.encode()), [], definitions.form_source(ctx, path))


def _errors(compiled) -> list[tuple[str, str | None]]:
    return [(p.code, p.element_id) for p in compiled.problems if p.severity == "error"]


def test_the_bundled_signing_steps_lint_clean(ctx):
    assert _errors(_lint(ctx, RESEARCH)) == []


def test_a_number_pattern_naming_anything_else_is_an_error_on_its_line(ctx):
    xml = RESEARCH.replace('value="503/{seq:05d}/IP/DPM-PTSP/{year}"', 'value="503/{seq:05d}/{office}/{year}"')
    compiled = _lint(ctx, xml)
    [problem] = [p for p in compiled.problems if p.code == "letter_number_pattern"]
    assert problem.severity == "error" and problem.element_id == "research_permit" and "{office}" in problem.message
    assert problem.line == xml.splitlines().index(next(line for line in xml.splitlines()
                                                       if "{office}" in line)) + 1
    assert not compiled.ok


def test_a_signing_step_whose_choices_never_approve_is_an_error(ctx):
    # The signing flow keeps its place but no longer means approve (whatever other properties it carries).
    flow = re.search(r'<bpmn:sequenceFlow id="Flow_SignApprove".*?</bpmn:sequenceFlow>', RESEARCH, re.S).group(0)
    xml = RESEARCH.replace(flow, flow.replace('name="Tandatangani"', 'name="Teruskan"').replace(
        'name="decision.meaning" value="approve"', 'name="decision.meaning" value="other"'))
    assert xml != RESEARCH
    assert ("signing_step_without_approval", "Task_Sign") in _errors(_lint(ctx, xml))


def test_a_signing_step_without_choices_is_an_error(ctx):
    xml = diagram("""
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="sign"/>
    <bpmn:userTask id="sign" name="Tanda tangan" camunda:candidateGroups="head_of_office">
      <bpmn:extensionElements><camunda:properties><camunda:property name="letter.sign" value="true"/>
      </camunda:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="sign" targetRef="e"/><bpmn:endEvent id="e" name="Terbit"/>""")
    compiled = definitions.lint(ctx, SourceFile("t.bpmn", xml.encode()), [], FormSource({}, []))
    [problem] = [p for p in compiled.problems if p.code == "signing_step_without_choices"]
    line = next(n for n, text in enumerate(xml.splitlines(), 1) if 'id="sign"' in text)
    assert (problem.severity, problem.element_id, problem.line) == ("error", "sign", line)
