"""Lint: every rejection is a list of located problems, never a traceback."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from api.cli import main as cli
from engine.bpmn.compiler import SourceFile
from engine.forms.schemas import FormSource
from engine.services import definitions
from tests.conftest import PROJECT_ROOT
from tests.engine.conftest import HEADER, diagram


def lint(ctx, xml: str | bytes, forms: dict | None = None, name: str = "t.bpmn"):
    data = xml.encode() if isinstance(xml, str) else xml
    uploads = {f"{k}.json": v for k, v in (forms or {}).items()}
    return definitions.lint(ctx, SourceFile(name, data), [], FormSource(uploads, []))


def codes(compiled) -> list[tuple[str, str, str | None]]:
    return [(p.severity, p.code, p.element_id) for p in compiled.problems]


def user_task(extra: str = "", task_id: str = "review") -> str:
    return f'<bpmn:userTask id="{task_id}" name="Periksa" camunda:candidateGroups="verifier" {extra}/>'


def test_xxe_fixture_from_the_corpus_is_rejected_with_a_clear_message(ctx, corpus):
    (path,) = sorted((corpus / "spiff-arena-tests" / "data" / "xml_with_entity").glob("*.bpmn"))[:1]
    compiled = lint(ctx, path.read_bytes(), name=path.name)
    (problem,) = compiled.problems
    assert problem.code == "xml_doctype" and problem.severity == "error"
    assert "external entity" in problem.message and problem.line >= 1
    assert not compiled.ok


def test_entity_expansion_is_refused_even_when_hidden_after_a_comment(ctx):
    xml = '<?xml version="1.0"?>\n<!-- model -->\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<d>&x;</d>'
    (problem,) = lint(ctx, xml).problems
    assert problem.code == "xml_doctype" and problem.line == 3


def test_oversize_file_is_rejected_before_parsing(ctx):
    big = diagram("<bpmn:startEvent id='s'/>").replace("</bpmn:definitions>", "<!--" + "x" * 5_300_000 + "-->"
                                                                       "</bpmn:definitions>")
    (problem,) = lint(ctx, big).problems
    assert problem.code == "too_large" and "5,242,880" in problem.message


def test_malformed_xml_reports_the_line(ctx):
    xml = HEADER + '  <bpmn:process id="p">\n    <bpmn:startEvent id="s">\n  </bpmn:process>\n</bpmn:definitions>'
    (problem,) = lint(ctx, xml).problems
    assert problem.code == "xml_syntax" and problem.line == 5 and "startEvent line 4" in problem.message


def test_xsd_violation_is_located(ctx):
    xml = diagram('<bpmn:startEvent id="s"/>\n<bpmn:frobnicate id="x"/>')
    problems = [p for p in lint(ctx, xml).problems if p.code == "xsd"]
    assert problems and problems[0].line == 5 and "frobnicate" in problems[0].message


def test_gateway_mixing_conditions_and_labels_is_diagnosed(ctx):
    xml = diagram(f"""
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="review"/>
    {user_task()}<bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw"/>
    <bpmn:sequenceFlow id="yes" name="Setujui" sourceRef="gw" targetRef="e1">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">amount &gt; 5</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="no" name="Tolak" sourceRef="gw" targetRef="e2"/>
    <bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>""")
    compiled = lint(ctx, xml)
    assert ("error", "gateway_mixed", "gw") in codes(compiled)
    problem = next(p for p in compiled.problems if p.code == "gateway_mixed")
    assert problem.line == 7 and "'Tolak' (no)" in problem.message


def test_gateway_with_neither_conditions_labels_nor_default_is_an_error(ctx):
    xml = diagram("""
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw"/>
    <bpmn:sequenceFlow id="a" sourceRef="gw" targetRef="e1"/><bpmn:sequenceFlow id="b" sourceRef="gw" targetRef="e2"/>
    <bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>""")
    assert ("error", "gateway_no_condition", "gw") in codes(lint(ctx, xml))


def test_unnamed_choices_after_a_user_task_are_named_after_their_targets(ctx):
    xml = diagram(f"""
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="review"/>
    {user_task()}<bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw"/>
    <bpmn:sequenceFlow id="a" name="Setujui" sourceRef="gw" targetRef="e1"/>
    <bpmn:sequenceFlow id="b" sourceRef="gw" targetRef="e2"/>
    <bpmn:endEvent id="e1" name="Disetujui"/><bpmn:endEvent id="e2" name="Ditolak"/>""")
    compiled = lint(ctx, xml)
    assert ("warning", "decision_unnamed", "b") in codes(compiled)
    assert compiled.ok and compiled.meta["tasks"]["review"]["decisions"] == ["Setujui", "Ditolak"]


def test_a_closed_form_of_a_task_with_choices_must_allow_the_decision_field(ctx):
    xml = diagram(f"""
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="review"/>
    {user_task('camunda:formKey="svc/review"')}<bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw"/>
    <bpmn:sequenceFlow id="a" name="Setujui" sourceRef="gw" targetRef="e1"/>
    <bpmn:sequenceFlow id="b" name="Tolak" sourceRef="gw" targetRef="e2"/>
    <bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>""")
    closed = {"type": "object", "properties": {"note": {"type": "string"}}, "additionalProperties": False}
    compiled = lint(ctx, xml, {"svc/review": orjson.dumps(closed)})
    assert [(p.code, p.element_id) for p in compiled.problems.errors] == [("form_invalid", "review")]
    assert "'decision'" in compiled.problems.errors[0].message
    closed["properties"]["decision"] = {"type": "string"}
    assert lint(ctx, xml, {"svc/review": orjson.dumps(closed)}).ok
    assert lint(ctx, xml, {"svc/review": b'{"type": "object", "properties": {"note": {}}}'}).ok


def test_implicit_fork_from_a_task_runs_both_branches(ctx):
    xml = diagram(f"""
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="review"/>
    {user_task()}
    <bpmn:sequenceFlow id="a" sourceRef="review" targetRef="e1"/>
    <bpmn:sequenceFlow id="b" sourceRef="review" targetRef="e2"/>
    <bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>""")
    compiled = lint(ctx, xml)
    assert ("warning", "implicit_fork", "review") in codes(compiled) and compiled.ok
    assert "review__fork" in compiled.spec.task_specs


def test_untyped_task_before_a_choice_becomes_a_manual_step(ctx):
    xml = diagram("""
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="decide"/>
    <bpmn:task id="decide" name="Putuskan"/><bpmn:sequenceFlow id="f1" sourceRef="decide" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw"/>
    <bpmn:sequenceFlow id="a" name="Ya" sourceRef="gw" targetRef="e1"/>
    <bpmn:sequenceFlow id="b" name="Tidak" sourceRef="gw" targetRef="e2"/>
    <bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>""")
    compiled = lint(ctx, xml)
    assert ("warning", "untyped_task_decides", "decide") in codes(compiled) and compiled.ok
    assert compiled.meta["tasks"]["decide"]["decisions"] == ["Ya", "Tidak"]


def test_labelled_gateway_that_does_not_follow_a_user_task_is_an_error(ctx):
    xml = diagram("""
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="wait"/>
    <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration>
    </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="wait" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw"/>
    <bpmn:sequenceFlow id="a" name="Ya" sourceRef="gw" targetRef="e1"/>
    <bpmn:sequenceFlow id="b" name="Tidak" sourceRef="gw" targetRef="e2"/>
    <bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>""")
    assert ("error", "decision_without_task", "gw") in codes(lint(ctx, xml))


def test_missing_and_invalid_forms_are_errors_on_the_element_that_names_them(ctx):
    xml = diagram(f"""
    <bpmn:startEvent id="s" camunda:formKey="svc/apply"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="review"/>
    {user_task('camunda:formKey="svc/review"')}<bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="e"/>
    <bpmn:endEvent id="e"/>""")
    compiled = lint(ctx, xml, {"svc/review": b'{"type": "objekt"}'})
    found = codes(compiled)
    assert ("error", "form_missing", "s") in found
    assert ("error", "form_invalid", "review") in found


def test_a_form_field_named_like_the_serializers_own_key_is_an_error(ctx):
    xml = diagram(f"""
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="review"/>
    {user_task('camunda:formKey="svc/review"')}<bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="e"/>
    <bpmn:endEvent id="e"/>""")
    schema = b'{"type": "object", "properties": {"vessel": {"type": "object", "properties": {"typename": {}}}}}'
    compiled = lint(ctx, xml, {"svc/review": schema})
    assert ("error", "form_invalid", "review") in codes(compiled)
    (problem,) = [p for p in compiled.problems.errors if p.element_id == "review"]
    assert "'typename' at /properties/vessel/properties/typename" in problem.message
    # The same word as a value (a choice, a default) is fine.
    allowed = b'{"type": "object", "properties": {"kind": {"enum": ["typename"], "default": "typename"}}}'
    assert not lint(ctx, xml, {"svc/review": allowed}).problems.errors


def _event_gateway(*timers: tuple[str, str]) -> str:
    """An event-based gateway followed by timer catch events (id, duration), each to an end event of its own."""
    parts = []
    for timer_id, duration in timers:
        parts.append(f"""<bpmn:sequenceFlow id="to_{timer_id}" sourceRef="g" targetRef="{timer_id}"/>
        <bpmn:intermediateCatchEvent id="{timer_id}"><bpmn:timerEventDefinition>
          <bpmn:timeDuration>{duration}</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
        <bpmn:sequenceFlow id="from_{timer_id}" sourceRef="{timer_id}" targetRef="end_{timer_id}"/>
        <bpmn:endEvent id="end_{timer_id}"/>""")
    return diagram('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="g"/>'
                   '<bpmn:eventBasedGateway id="g"/>' + "".join(parts))


def test_an_event_gateway_waiting_for_two_timers_is_an_error_naming_the_one_that_would_fire(ctx):
    """SpiffWorkflow gives the gateway's timers one due time (the first in the file): PT1H would never fire."""
    compiled = lint(ctx, _event_gateway(("remind", "PT2H"), ("close", "PT1H")))
    assert ("error", "event_gateway_timers", "g") in codes(compiled)
    (problem,) = [p for p in compiled.problems.errors if p.code == "event_gateway_timers"]
    assert "2 timers" in problem.message and "that of 'remind'" in problem.message and problem.line
    assert not [p for p in lint(ctx, _event_gateway(("close", "PT1H"))).problems.errors]


def test_unparseable_sla_is_an_error_and_a_valid_one_is_not(ctx):
    props = ('<bpmn:extensionElements><camunda:properties><camunda:property name="sla" value="{}"/>'
             "</camunda:properties></bpmn:extensionElements>")
    body = """<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="review"/>
    <bpmn:userTask id="review" name="Periksa" camunda:candidateGroups="verifier">{}</bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="e"/><bpmn:endEvent id="e"/>"""
    bad = lint(ctx, diagram(body.format(props.format("dua hari"))))
    assert ("error", "sla_invalid", "review") in codes(bad)
    good = lint(ctx, diagram(body.format(props.format("P2D"))))
    assert not good.problems.errors


def test_condition_that_escapes_the_sandbox_does_not_deploy(ctx):
    xml = diagram(f"""
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw" default="b"/>
    <bpmn:sequenceFlow id="a" sourceRef="gw" targetRef="review">
      <bpmn:conditionExpression>().__class__.__base__.__subclasses__()</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="b" sourceRef="gw" targetRef="review"/>
    {user_task()}<bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="e"/><bpmn:endEvent id="e"/>""")
    assert ("error", "code_invalid", "a") in codes(lint(ctx, xml))


def test_a_condition_that_does_not_compile_is_quoted_with_advice_in_english_and_indonesian(ctx):
    xml = diagram(f"""
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw" default="b"/>
    <bpmn:sequenceFlow id="a" sourceRef="gw" targetRef="review">
      <bpmn:conditionExpression>Vacation Approval = "Approved"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="b" sourceRef="gw" targetRef="review"/>
    {user_task()}<bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="e"/><bpmn:endEvent id="e"/>""")
    (problem,) = [p for p in lint(ctx, xml).problems.errors if p.code == "code_invalid"]
    flow_line = next(n for n, line in enumerate(xml.splitlines(), 1) if 'sequenceFlow id="a"' in line)
    assert problem.element_id == "a" and problem.line == flow_line
    assert "'Vacation Approval = \"Approved\"' — line 1: invalid syntax" in problem.message
    assert "Python expression over the form fields" in problem.message
    assert problem.message_id.startswith("Kondisi pada 'a' tidak valid: 'Vacation Approval")


def test_a_cron_timer_as_camunda_7_accepts_is_diagnosed_as_cron_with_the_iso_alternative(ctx):
    body = """<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="wait"/>
    <bpmn:intermediateCatchEvent id="wait" name="Tunggu"><bpmn:timerEventDefinition>
      <bpmn:timeCycle>{}</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="wait" targetRef="e"/><bpmn:endEvent id="e"/>"""
    for cron in ("0/5 0/1 * 1/1 * ?", "0 0 9 ? * MON-FRI", "*/15 * * * *"):
        (problem,) = lint(ctx, diagram(body.format(cron))).problems.errors
        assert (problem.code, problem.element_id) == ("timer_cron", "wait"), cron
        assert repr(cron) in problem.message and "R/P1D" in problem.message
    # An ISO cycle is fine, and an expression that is simply wrong stays a code problem.
    assert not lint(ctx, diagram(body.format("R/PT5M"))).problems.errors
    (problem,) = lint(ctx, diagram(body.format("every day"))).problems.errors
    assert problem.code == "code_invalid" and "'every day'" in problem.message


def test_unreachable_elements_and_tasks_without_group_are_warnings(ctx):
    xml = diagram("""
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="review"/>
    <bpmn:userTask id="review" name="Periksa"/><bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="e"/>
    <bpmn:endEvent id="e"/>
    <bpmn:userTask id="orphan" name="Lupa"/>""")
    compiled = lint(ctx, xml)
    found = codes(compiled)
    assert ("warning", "unreachable", "orphan") in found
    assert ("warning", "task_without_group", "review") in found
    assert ("warning", "task_without_form", "review") in found
    assert compiled.ok  # warnings do not block a deploy


def test_business_rule_task_without_decision_is_diagnosed_not_crashed(ctx):
    xml = diagram("""
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="rule"/>
    <bpmn:businessRuleTask id="rule" name="Hitung"/><bpmn:sequenceFlow id="f1" sourceRef="rule" targetRef="e"/>
    <bpmn:endEvent id="e"/>""")
    assert ("error", "business_rule_without_decision", "rule") in codes(lint(ctx, xml))


def test_process_without_start_event(ctx):
    compiled = lint(ctx, diagram('<bpmn:userTask id="t" camunda:candidateGroups="x"/>'))
    assert ("error", "no_start_event", "p") in codes(compiled)


def test_timer_without_value_is_an_error(ctx):
    xml = diagram("""
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="wait"/>
    <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition/></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="wait" targetRef="e"/><bpmn:endEvent id="e"/>""")
    assert ("error", "timer_empty", "wait") in codes(lint(ctx, xml))


def test_the_real_services_lint_clean(ctx):
    for path in sorted((PROJECT_ROOT / "processes").glob("*.bpmn")):
        tables = [SourceFile(p.name, p.read_bytes()) for p in sorted(path.parent.glob("*.dmn"))]  # as deploy reads
        compiled = definitions.lint(ctx, SourceFile(path.name, path.read_bytes()), tables,
                                    definitions.form_source(ctx, path))
        # the one note allowed says which message the service waits for (the bank's callback)
        assert [p.as_line() for p in compiled.problems if p.code != "waits_for_message"] == [], path.name
        assert compiled.ok


class TestLintCommand:
    def _write(self, folder: Path, name: str, text: str) -> Path:
        path = folder / name
        path.write_text(text)
        return path

    def test_prints_one_line_per_problem_and_exits_1_on_errors(self, tmp_path):
        self._write(tmp_path, "broken.bpmn", diagram('<bpmn:userTask id="t" camunda:candidateGroups="x"/>'))
        result = CliRunner().invoke(cli, ["lint", str(tmp_path)])
        assert result.exit_code == 1
        line = next(ln for ln in result.output.splitlines() if "no_start" in ln or "start event" in ln)
        assert line.startswith(f"{tmp_path / 'broken.bpmn'}:3: p: error: ")

    def test_exits_0_when_only_warnings(self, tmp_path):
        path = self._write(tmp_path, "ok.bpmn", diagram("""
        <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="t"/>
        <bpmn:userTask id="t" name="Periksa"/><bpmn:sequenceFlow id="f1" sourceRef="t" targetRef="e"/>
        <bpmn:endEvent id="e"/>"""))
        result = CliRunner().invoke(cli, ["lint", str(path)])
        assert result.exit_code == 0, result.output
        assert ": t: warning: " in result.output

    def test_missing_path_is_a_usage_error_not_a_lint_result(self, tmp_path):
        result = CliRunner().invoke(cli, ["lint", str(tmp_path / "nope.bpmn")])
        assert result.exit_code == 2 and "no such file" in result.output

    def test_a_setting_it_cannot_read_is_its_own_failure_named_not_a_lint_result(self, monkeypatch):
        monkeypatch.setenv("LINCAH_LIVE_WORKFLOWS", "banyak")
        result = CliRunner().invoke(cli, ["lint", str(PROJECT_ROOT / "processes")])
        assert result.exit_code == 2 and "LINCAH_LIVE_WORKFLOWS must be a whole number" in result.output
        assert "Traceback" not in result.output

    @pytest.mark.parametrize("service", ["research_permit", "fishing_vessel_permit", "fishery_business_permit"])
    def test_real_services_pass(self, service):
        result = CliRunner().invoke(cli, ["lint", str(PROJECT_ROOT / "processes" / f"{service}.bpmn")])
        assert result.exit_code == 0, result.output


CAMUNDA_8 = HEADER.replace('id="defs"', 'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" '
                           'xmlns:modeler="http://camunda.org/schema/modeler/1.0" '
                           'modeler:executionPlatform="Camunda Cloud" id="defs"')


def test_a_diagram_made_for_camunda_8_is_named_as_such_before_its_lost_forms_and_groups(ctx):
    xml = CAMUNDA_8 + """  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="review"/>
    <bpmn:userTask id="review" name="Periksa"><bpmn:extensionElements>
      <zeebe:formDefinition formKey="research_permit/verify"/>
      <zeebe:assignmentDefinition candidateGroups="verifier"/></bpmn:extensionElements></bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="e"/><bpmn:endEvent id="e"/>
  </bpmn:process>
</bpmn:definitions>
"""
    compiled = lint(ctx, xml)
    first = compiled.problems.sorted()[0]
    assert (first.severity, first.code, first.element_id, first.line) == ("warning", "camunda8", "defs", 2)
    assert "zeebe:formDefinition, zeebe:assignmentDefinition" in first.message
    assert "Camunda 7 BPMN diagram" in first.message and first.message_id.startswith("Diagram ini dibuat")
    # What follows from it is still reported on the task itself.
    assert ("warning", "task_without_group", "review") in codes(compiled)


def test_a_camunda_7_diagram_gets_no_platform_warning_and_feel_conditions_are_named_feel(ctx):
    plain = diagram('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="e"/>'
                    '<bpmn:endEvent id="e"/>')
    assert "camunda8" not in [p.code for p in lint(ctx, plain).problems]
    body = """<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="g"/>
    <bpmn:exclusiveGateway id="g" default="no"/>
    <bpmn:sequenceFlow id="yes" sourceRef="g" targetRef="e"><bpmn:conditionExpression>{}</bpmn:conditionExpression>
    </bpmn:sequenceFlow><bpmn:sequenceFlow id="no" sourceRef="g" targetRef="e"/><bpmn:endEvent id="e"/>"""
    (problem,) = lint(ctx, diagram(body.format("= some r in risks satisfies r = 'red'"))).problems.errors
    assert problem.code == "code_invalid" and "written in FEEL" in problem.message
    (problem,) = lint(ctx, diagram(body.format("risks = 'red'"))).problems.errors
    assert "FEEL" not in problem.message


def test_a_timer_without_value_whose_name_gives_the_duration_suggests_it(ctx):
    body = """<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="wait"/>
    <bpmn:intermediateCatchEvent id="wait" name="{}"><bpmn:timerEventDefinition/></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="wait" targetRef="e"/><bpmn:endEvent id="e"/>"""
    for name, duration in (("Timeout (7 days)", "P7D"), ("24 Hours", "PT24H"), ("Tunggu 14 hari", "P14D"),
                           ("30 menit", "PT30M"), ("2 minggu", "P2W")):
        (problem,) = lint(ctx, diagram(body.format(name))).problems.errors
        assert (problem.code, problem.element_id) == ("timer_empty", "wait"), name
        assert f"Its name says {duration}: if that is how long it waits, enter {duration}" in problem.message
        assert f"isi {duration} sebagai durasinya" in problem.message_id
        assert problem.to_dict()["extra"] == {"suggestion": duration}
    (problem,) = lint(ctx, diagram(body.format("Tunggu jawaban"))).problems.errors
    assert problem.code == "timer_empty" and "Its name says" not in problem.message and not problem.extra


def test_an_empty_sub_process_is_told_apart_from_one_without_a_single_start(ctx):
    body = """<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="sub"/>
    <bpmn:subProcess id="sub" name="Survei lapangan">{}</bpmn:subProcess>
    <bpmn:sequenceFlow id="f1" sourceRef="sub" targetRef="e"/><bpmn:endEvent id="e"/>"""
    (problem,) = lint(ctx, diagram(body.format("<bpmn:documentation>nanti</bpmn:documentation>"))).problems.errors
    assert (problem.code, problem.element_id) == ("subprocess_empty", "sub")
    assert "is empty" in problem.message and "replace it with a task" in problem.message
    (problem,) = lint(ctx, diagram(body.format('<bpmn:task id="t" name="Ukur"/>'))).problems.errors
    assert (problem.code, problem.element_id) == ("subprocess_start", "sub") and "(it has 0)" in problem.message
    inside = ('<bpmn:startEvent id="s2"/><bpmn:sequenceFlow id="g0" sourceRef="s2" targetRef="t"/>'
              '<bpmn:task id="t" name="Ukur"/><bpmn:sequenceFlow id="g1" sourceRef="t" targetRef="e2"/>'
              '<bpmn:endEvent id="e2"/>')
    assert not lint(ctx, diagram(body.format(inside))).problems.errors


def test_the_steps_are_listed_in_the_order_a_file_goes_through_them_not_the_order_of_the_xml(ctx):
    """A step added in the modeler sits last in the XML; the procedure lists it where it is in the flow, and the
    revision loop back to the verification does not list the verification after the revision."""
    xml = diagram("""
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="verify"/>
    <bpmn:userTask id="verify" name="Verifikasi" camunda:candidateGroups="verifier"/>
    <bpmn:sequenceFlow id="f1" sourceRef="verify" targetRef="gw"/><bpmn:exclusiveGateway id="gw"/>
    <bpmn:sequenceFlow id="ok" name="Setujui" sourceRef="gw" targetRef="site"/>
    <bpmn:sequenceFlow id="back" name="Kembalikan" sourceRef="gw" targetRef="revise"/>
    <bpmn:sequenceFlow id="f2" sourceRef="revise" targetRef="verify"/>
    <bpmn:userTask id="sign" name="Tanda tangan" camunda:candidateGroups="head"/>
    <bpmn:sequenceFlow id="f3" sourceRef="sign" targetRef="e"/><bpmn:endEvent id="e"/>
    <bpmn:userTask id="revise" name="Perbaiki" camunda:candidateGroups="applicant"/>
    <bpmn:userTask id="orphan" name="Lupa" camunda:candidateGroups="verifier"/>
    <bpmn:userTask id="site" name="Rekomendasi lokasi" camunda:candidateGroups="verifier"/>
    <bpmn:sequenceFlow id="f4" sourceRef="site" targetRef="sign"/>""")
    compiled = lint(ctx, xml)
    assert not compiled.problems.errors
    assert list(compiled.meta["tasks"]) == ["verify", "revise", "site", "sign", "orphan"]
