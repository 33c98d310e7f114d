"""Every kind of element the parser turns into a spec is stored and restored by the definition's spec JSON."""

from __future__ import annotations

import orjson
import pytest
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.specs.control import BoundaryEventJoin, BoundaryEventSplit, StartEventJoin, StartEventSplit

from engine.bpmn.compiler import SourceFile, compile_definition
from engine.bpmn.parser import LincahParser
from engine.forms.schemas import FormSource
from engine.services import definitions
from engine.workflow.multi_instance_specs import LincahParallelMultiInstanceTask, LincahSequentialMultiInstanceTask
from engine.workflow.spec_preparation import Unprepared, prepare
from tests.engine.conftest import diagram

MESSAGES = ('<bpmn:message id="paid" name="paid"/><bpmn:signal id="sig" name="sig"/>'
            '<bpmn:error id="err" errorCode="E1"/><bpmn:escalation id="esc" escalationCode="X1"/>\n')


def _chain(*elements: str) -> str:
    """Start → each element (ids a, b, c…) → end."""
    ids = [f"n{i}" for i in range(len(elements))]
    body = ['<bpmn:startEvent id="s"/>']
    previous = "s"
    for node_id, element in zip(ids, elements, strict=True):
        body.append(element.format(id=node_id))
        body.append(f'<bpmn:sequenceFlow id="to_{node_id}" sourceRef="{previous}" targetRef="{node_id}"/>')
        previous = node_id
    body.append(f'<bpmn:sequenceFlow id="to_e" sourceRef="{previous}" targetRef="e"/><bpmn:endEvent id="e"/>')
    return "\n".join(body)


MI_CAMUNDA = '<bpmn:multiInstanceLoopCharacteristics camunda:collection="items" camunda:elementVariable="item"/>'
MI_STANDARD = ('<bpmn:multiInstanceLoopCharacteristics isSequential="true"><bpmn:loopDataInputRef>items'
               '</bpmn:loopDataInputRef><bpmn:inputDataItem id="item"/><bpmn:loopDataOutputRef>out'
               '</bpmn:loopDataOutputRef><bpmn:outputDataItem id="result"/></bpmn:multiInstanceLoopCharacteristics>')
SCRIPT = '<bpmn:script>result = 1</bpmn:script>'

KINDS = {
    "service task": _chain('<bpmn:serviceTask id="{id}" name="Cek NIK"/>'),
    "send task": _chain('<bpmn:sendTask id="{id}" messageRef="paid"/>'),
    "receive task": _chain('<bpmn:receiveTask id="{id}" messageRef="paid"/>'),
    "message catch and throw": _chain(
        '<bpmn:intermediateThrowEvent id="{id}"><bpmn:messageEventDefinition messageRef="paid"/>'
        '</bpmn:intermediateThrowEvent>',
        '<bpmn:intermediateCatchEvent id="{id}"><bpmn:messageEventDefinition messageRef="paid"/>'
        '</bpmn:intermediateCatchEvent>'),
    "signal, escalation and conditional events": _chain(
        '<bpmn:intermediateThrowEvent id="{id}"><bpmn:signalEventDefinition signalRef="sig"/>'
        '</bpmn:intermediateThrowEvent>',
        '<bpmn:intermediateThrowEvent id="{id}"><bpmn:escalationEventDefinition escalationRef="esc"/>'
        '</bpmn:intermediateThrowEvent>',
        '<bpmn:intermediateCatchEvent id="{id}"><bpmn:conditionalEventDefinition><bpmn:condition>ready'
        '</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>'),
    "timers": _chain(*(f'<bpmn:intermediateCatchEvent id="{{id}}"><bpmn:timerEventDefinition><bpmn:{kind}>'
                       f'{value}</bpmn:{kind}></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>'
                       for kind, value in (("timeDuration", "PT1H"), ("timeDate", "2030-01-01T09:00:00"),
                                           ("timeCycle", "R2/PT1H")))),
    "multi-instance script, camunda": _chain(f'<bpmn:scriptTask id="{{id}}">{MI_CAMUNDA}{SCRIPT}</bpmn:scriptTask>'),
    "multi-instance script, standard": _chain(
        f'<bpmn:scriptTask id="{{id}}">{MI_STANDARD}{SCRIPT}</bpmn:scriptTask>'),
    "multi-instance on every task type": _chain(
        f'<bpmn:userTask id="{{id}}" camunda:candidateGroups="v">{MI_CAMUNDA}</bpmn:userTask>',
        f'<bpmn:serviceTask id="{{id}}">{MI_STANDARD}</bpmn:serviceTask>',
        f'<bpmn:task id="{{id}}">{MI_STANDARD}</bpmn:task>',
        f'<bpmn:manualTask id="{{id}}">{MI_CAMUNDA}</bpmn:manualTask>',
        f'<bpmn:sendTask id="{{id}}">{MI_CAMUNDA}</bpmn:sendTask>',
        '<bpmn:callActivity id="{id}" calledElement="called">'
        '<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>2</bpmn:loopCardinality>'
        '</bpmn:multiInstanceLoopCharacteristics></bpmn:callActivity>'),
    "standard loop": _chain('<bpmn:task id="{id}"><bpmn:standardLoopCharacteristics loopMaximum="3"/></bpmn:task>'),
    "sub-process, transaction and boundary events": _chain(
        '<bpmn:subProcess id="{id}"><bpmn:startEvent id="{id}_s"/><bpmn:sequenceFlow id="{id}_f" '
        'sourceRef="{id}_s" targetRef="{id}_e"/><bpmn:endEvent id="{id}_e"/></bpmn:subProcess>'
        '<bpmn:boundaryEvent id="{id}_timer" attachedToRef="{id}" cancelActivity="false">'
        '<bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>'
        '</bpmn:boundaryEvent><bpmn:boundaryEvent id="{id}_err" attachedToRef="{id}">'
        '<bpmn:errorEventDefinition errorRef="err"/></bpmn:boundaryEvent>'
        '<bpmn:sequenceFlow id="{id}_tf" sourceRef="{id}_timer" targetRef="{id}_te"/><bpmn:endEvent id="{id}_te"/>'
        '<bpmn:sequenceFlow id="{id}_ef" sourceRef="{id}_err" targetRef="{id}_ee"/><bpmn:endEvent id="{id}_ee"/>',
        '<bpmn:transaction id="{id}"><bpmn:startEvent id="{id}_s"/><bpmn:sequenceFlow id="{id}_f" '
        'sourceRef="{id}_s" targetRef="{id}_e"/><bpmn:endEvent id="{id}_e"/></bpmn:transaction>'),
    "gateways": _chain(
        '<bpmn:parallelGateway id="{id}"/>', '<bpmn:inclusiveGateway id="{id}"/>',
        '<bpmn:eventBasedGateway id="{id}"/>'
        '<bpmn:intermediateCatchEvent id="{id}_t"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H'
        '</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>'
        '<bpmn:intermediateCatchEvent id="{id}_m"><bpmn:messageEventDefinition messageRef="paid"/>'
        '</bpmn:intermediateCatchEvent><bpmn:sequenceFlow id="{id}_a" sourceRef="{id}" targetRef="{id}_t"/>'
        '<bpmn:sequenceFlow id="{id}_b" sourceRef="{id}" targetRef="{id}_m"/>'
        '<bpmn:sequenceFlow id="{id}_c" sourceRef="{id}_t" targetRef="{id}_j"/>'
        '<bpmn:sequenceFlow id="{id}_d" sourceRef="{id}_m" targetRef="{id}_j"/>'
        '<bpmn:exclusiveGateway id="{id}_j"/><bpmn:sequenceFlow id="{id}_x" sourceRef="{id}_j" targetRef="e"/>'),
    "event sub-process and message start": _chain('<bpmn:task id="{id}"/>') + (
        '<bpmn:startEvent id="s2"><bpmn:messageEventDefinition messageRef="paid"/></bpmn:startEvent>'
        '<bpmn:sequenceFlow id="f_s2" sourceRef="s2" targetRef="e2"/><bpmn:endEvent id="e2"/>'
        '<bpmn:subProcess id="esp" triggeredByEvent="true"><bpmn:startEvent id="esp_s" isInterrupting="false">'
        '<bpmn:signalEventDefinition signalRef="sig"/></bpmn:startEvent><bpmn:sequenceFlow id="esp_f" '
        'sourceRef="esp_s" targetRef="esp_e"/><bpmn:endEvent id="esp_e"><bpmn:terminateEventDefinition/>'
        '</bpmn:endEvent></bpmn:subProcess>'),
}
CALLED = ('<bpmn:process id="called" isExecutable="true"><bpmn:startEvent id="c_s"/><bpmn:sequenceFlow id="c_f" '
          'sourceRef="c_s" targetRef="c_e"/><bpmn:endEvent id="c_e"/></bpmn:process>\n')


def _spec_classes(process_specs) -> list[tuple[str, str]]:
    return sorted((name, type(task_spec).__qualname__ + "/" + type(getattr(task_spec, "event_definition", None))
                   .__qualname__) for spec in process_specs for name, task_spec in spec.task_specs.items())


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_of_element_lints_deploys_and_restores_as_the_same_specs(ctx, kind):
    xml = diagram(KINDS[kind], extra=MESSAGES + CALLED)
    compiled = definitions.lint(ctx, SourceFile("kinds.bpmn", xml.encode()), [], FormSource({}, []))
    assert compiled.ok, [p.as_line() for p in compiled.problems.errors]
    body = orjson.loads(compiled.spec_json)
    restored = ctx.codec.registry.restore(body["spec"])
    subprocesses = {name: ctx.codec.registry.restore(s) for name, s in body["subprocess_specs"].items()}
    assert _spec_classes([restored, *subprocesses.values()]) == \
        _spec_classes([compiled.spec, *compiled.subprocess_specs.values()])


def test_every_spec_class_the_parser_can_produce_has_a_converter(ctx):
    classes = {spec_class for _, spec_class in LincahParser.OVERRIDE_PARSER_CLASSES.values()}
    classes |= {TaskParser.STANDARD_LOOP_CLASS, TaskParser.PARALLEL_MI_CLASS, TaskParser.SEQUENTIAL_MI_CLASS,
                TaskParser.EVENT_SUBPROCESS_CLASS, BoundaryEventSplit, BoundaryEventJoin, StartEventSplit,
                StartEventJoin, LincahParallelMultiInstanceTask, LincahSequentialMultiInstanceTask}
    missing = sorted(c.__name__ for c in classes if c not in ctx.codec.registry.typenames)
    assert missing == []


def test_a_spec_the_store_would_lose_a_task_of_is_refused_on_that_element(ctx):
    """SpiffWorkflow drops a task spec named Root whenever it reads a spec back: the check that runs before every
    deploy finds it (lint renames such ids first, so here the compiler is called on its own)."""
    xml = diagram(_chain('<bpmn:userTask id="Root" camunda:candidateGroups="v"/>').replace('n0', 'Root'))
    compiled = compile_definition(SourceFile("root.bpmn", xml.encode()), [], FormSource({}, []),
                                  ctx.compile_options())
    assert compiled.spec is not None
    with pytest.raises(Unprepared) as refused:
        prepare(ctx.codec, compiled.spec, compiled.subprocess_specs)
    assert refused.value.element_id == "Root" and "loses 'Root'" in refused.value.reason
