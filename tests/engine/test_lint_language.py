"""A lint problem is written once, as a catalogue message with parameters: the analyst's Indonesian page reads the
same specific reason as the English API (the language of the script, how many start events), not a shortened one."""

from __future__ import annotations

from engine import texts
from engine.bpmn.compiler import SourceFile
from engine.forms.schemas import FormSource
from engine.services import definitions
from tests.engine.conftest import diagram


def _problems(ctx, body: str):
    return definitions.lint(ctx, SourceFile("t.bpmn", diagram(body).encode()), [], FormSource({}, [])).problems


def _one(problems, code: str):
    (problem,) = [p for p in problems if p.code == code]
    return problem


GROOVY = """
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="calc"/>
    <bpmn:scriptTask id="calc" name="Hitung" scriptFormat="groovy"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f1" sourceRef="calc" targetRef="e"/><bpmn:endEvent id="e"/>"""


def test_a_groovy_script_is_named_as_groovy_in_english_and_in_indonesian(ctx):
    problem = _one(_problems(ctx, GROOVY), "script_language")
    assert problem.message == "Script task 'Hitung' (calc) is written in 'groovy'; only Python scripts run in Lincah."
    assert problem.message_id == "Tugas skrip 'Hitung' (calc) ditulis dalam 'groovy'; Lincah hanya menjalankan skrip " \
                                 "Python."
    assert "message_id" in problem.to_dict() and "params" not in problem.to_dict()


def test_the_problem_keeps_its_catalogue_id_and_parameters_for_any_language(ctx):
    problem = _one(_problems(ctx, GROOVY), "script_language")
    assert problem.params["language"] == "'groovy'"
    assert texts.render(problem.text, problem.params) == problem.message
    assert texts.render(problem.text, problem.params, texts.INDONESIAN) == problem.message_id


def test_a_process_without_a_start_event_says_what_to_do_in_indonesian_too(ctx):
    problem = _one(_problems(ctx, '<bpmn:endEvent id="e"/>'), "no_start_event")
    assert problem.message_id.endswith("Tambahkan start event di tempat permohonan dimulai.")


def test_a_message_the_catalogue_lacks_stays_english_rather_than_failing():
    assert texts.render("No such message %(x)s.", {"x": 1}, texts.INDONESIAN) == "No such message 1."
