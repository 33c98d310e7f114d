"""Element ids the workflow engine names its own steps with are renamed in the text, references and layout alike."""

from __future__ import annotations

from engine.bpmn.problems import ProblemList
from engine.bpmn.reserved_ids import rename_reserved
from tests.engine.conftest import diagram

LANES = """<bpmn:laneSet id="ls"><bpmn:lane id="lane" name="verifier">
      <bpmn:flowNodeRef>Start</bpmn:flowNodeRef><bpmn:flowNodeRef>task.BoundaryEventJoin</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>"""
BODY = LANES + """
    <bpmn:startEvent id="Start" name="End"/>
    <bpmn:sequenceFlow id="f0" sourceRef="Start" targetRef="task.BoundaryEventJoin"/>
    <bpmn:userTask id="task.BoundaryEventJoin" name="Start"/>
    <bpmn:boundaryEvent id="t" attachedToRef="task.BoundaryEventJoin"><bpmn:timerEventDefinition>
      <bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="task.BoundaryEventJoin" targetRef="e"/><bpmn:endEvent id="e"/>"""
LAYOUT = ('<bpmndi:BPMNDiagram id="d" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI">'
          '<bpmndi:BPMNPlane id="pl" bpmnElement="End"><bpmndi:BPMNShape id="Start_di" bpmnElement="Start"/>'
          "</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>\n")


def test_a_reserved_id_is_renamed_with_every_reference_and_a_warning_on_the_new_id():
    text = diagram(BODY, process_id="End", extra=LAYOUT)
    problems = ProblemList()
    renamed = rename_reserved(text, problems, "t.bpmn", 1_000_000)
    for reference in ('id="Start_1"', 'sourceRef="Start_1"', ">Start_1</bpmn:flowNodeRef>", 'bpmnElement="Start_1"',
                      'id="task_BoundaryEventJoin_1"', 'targetRef="task_BoundaryEventJoin_1"',
                      'sourceRef="task_BoundaryEventJoin_1"', 'attachedToRef="task_BoundaryEventJoin_1"',
                      ">task_BoundaryEventJoin_1</bpmn:flowNodeRef>"):
        assert reference in renamed, reference
    assert "BoundaryEventJoin\"" not in renamed and ">task.BoundaryEventJoin<" not in renamed
    assert 'id="Start"' not in renamed and 'Ref="Start"' not in renamed and ">Start<" not in renamed
    assert 'name="End"' in renamed and 'name="Start"' in renamed  # names are the analyst's words, not ids
    assert '<bpmn:process id="End"' in renamed and 'bpmnElement="End"' in renamed  # a process id is not a step
    assert renamed.count("\n") == text.count("\n")  # the file keeps its lines
    assert [(p.code, p.element_id, p.line) for p in problems] == [
        ("reserved_id", "Start_1", 7), ("reserved_id", "task_BoundaryEventJoin_1", 9)]


def test_a_file_without_reserved_ids_is_returned_as_it_is():
    text = diagram('<bpmn:startEvent id="s" name="Start"/>')
    assert rename_reserved(text, ProblemList(), "t.bpmn", 1_000_000) is text
