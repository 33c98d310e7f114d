"""Every spec class the parser can produce, with a converter: what a deploy stores, a later load restores.

SpiffWorkflow's Camunda configuration swaps some standard classes for Camunda subclasses of the same name and drops
the standard ones from the registry, although Camunda's parser still produces them where it does not override the
element: a send or receive task carries the standard ``MessageEventDefinition``, a script task with a loop the
standard multi-instance classes, and a service task a ``ServiceTask`` that no configuration names at all. An
unknown class is left as it is by the registry, and the JSON encoder then refuses it ("Type is not JSON
serializable: ServiceTask") — a deploy that crashed after lint had accepted the diagram.

The standard classes are registered here under their own typenames (``Bpmn…``), because the Camunda classes
already hold the plain names in every spec stored so far, and so are Lincah's own multi-instance classes
(``engine.workflow.multi_instance_specs``); adding a class touches this one table.
"""

from __future__ import annotations

from SpiffWorkflow.bpmn.serializer.default.event_definition import MessageEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.task_spec import (
    BpmnTaskSpecConverter,
    MultiInstanceTaskConverter,
)
from SpiffWorkflow.bpmn.specs.defaults import (
    ParallelMultiInstanceTask,
    SequentialMultiInstanceTask,
    ServiceTask,
)
from SpiffWorkflow.bpmn.specs.defaults import UserTask as StandardUserTask
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG as CAMUNDA_CONFIG

from engine.decisions import task as decision_task
from engine.workflow import script_hooks
from engine.workflow.multi_instance_specs import LincahParallelMultiInstanceTask, LincahSequentialMultiInstanceTask

# class -> (converter, typename); the typename is what a stored spec names the class by and must never change.
STANDARD_CLASSES = {
    ServiceTask: (BpmnTaskSpecConverter, "ServiceTask"),
    StandardUserTask: (BpmnTaskSpecConverter, "BpmnUserTask"),
    MessageEventDefinition: (MessageEventDefinitionConverter, "BpmnMessageEventDefinition"),
    ParallelMultiInstanceTask: (MultiInstanceTaskConverter, "BpmnParallelMultiInstanceTask"),
    SequentialMultiInstanceTask: (MultiInstanceTaskConverter, "BpmnSequentialMultiInstanceTask"),
    LincahParallelMultiInstanceTask: (MultiInstanceTaskConverter, "LincahParallelMultiInstanceTask"),
    LincahSequentialMultiInstanceTask: (MultiInstanceTaskConverter, "LincahSequentialMultiInstanceTask"),
    # a business rule task evaluated by Lincah's own decision tables (engine.decisions)
    decision_task.DecisionTask: (decision_task.DecisionTaskConverter, decision_task.TYPENAME),
}


def configure(registry) -> object:
    """Register the Camunda configuration and the standard classes it leaves out on ``registry``; return it."""
    for target_class, converter_class in CAMUNDA_CONFIG.items():
        converter_class(target_class, registry)
    for target_class, (converter_class, typename) in STANDARD_CLASSES.items():
        converter_class(target_class, registry, typename)
    script_hooks.register(registry)  # last: every class above gets its twin with pre-/post-scripts
    return registry
