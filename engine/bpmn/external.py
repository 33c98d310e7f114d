"""Elements a program outside does: Camunda's ``camunda:type="external" camunda:topic="NAME"``.

A service task, a send task, an intermediate message throw event and a message end event marked so become a
SpiffWorkflow ``ServiceTask``, which waits (STARTED) for the host to finish it: the engine hands it to a worker over
``/engine-rest`` (``engine.integration``). What the worker needs and may answer is kept in the spec's extensions,
which survive serialization:

- ``camunda:topic``, ``camunda:taskPriority``;
- ``camunda:inputs`` — ``camunda:inputParameter`` name -> text (``${field}`` or a literal): what the worker is shown
  besides the variables it asks for by name;
- ``camunda:outputs`` — ``camunda:outputParameter`` name -> text: the variables a worker may set (``${x}`` takes
  the worker's ``x`` into the process variable ``name``; an empty text takes the worker's ``name``);
- or, instead of output parameters, ``camunda:property name="variablesSchema" value="FORM"``: the variables a worker
  may set are the fields of the JSON Schema form ``FORM`` (named and found like a ``camunda:formKey``, snapshotted
  with the definition), checked like a person's form data.
"""

from __future__ import annotations

from SpiffWorkflow.bpmn.parser.event_parsers import MESSAGE_EVENT_XPATH, SendTaskParser
from SpiffWorkflow.bpmn.parser.util import first
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.camunda.parser.event_parsers import CamundaEndEventParser, CamundaIntermediateThrowEventParser
from SpiffWorkflow.camunda.parser.task_spec import CamundaTaskParser

from engine.bpmn import connector
from engine.bpmn.names import CAMUNDA_NS, label, xpath
from engine.bpmn.problems import ProblemList
from engine.texts import N_
from engine.workflow.runtime import ENDS_PATH

EXTERNAL = "external"
TOPIC, PRIORITY, INPUTS, OUTPUTS = "camunda:topic", "camunda:taskPriority", "camunda:inputs", "camunda:outputs"
VARIABLES_SCHEMA = "variablesSchema"  # a camunda:property: the form declaring what a worker may set


def external_topic(spec) -> str | None:
    """The topic of an element a worker outside does, or ``None`` for any other task spec."""
    extensions = getattr(spec, "extensions", None) or {}
    return extensions.get(TOPIC) if extensions.get("camunda:type") == EXTERNAL else None


def variables_schema(spec) -> str | None:
    """The form key declaring what a worker may set on ``spec`` (``camunda:property name="variablesSchema"``)."""
    key = ((getattr(spec, "extensions", None) or {}).get(VARIABLES_SCHEMA) or "").strip()
    return key or None


def _schema_elements(root):
    """(form key, element) of every ``variablesSchema`` property under ``root``."""
    for prop in root.iter(f"{{{CAMUNDA_NS}}}property"):
        key = (prop.get("value") or "").strip()
        element = prop
        for _ in range(3):  # property < properties < extensionElements < the element
            element = element.getparent() if element is not None else None
        if prop.get("name") == VARIABLES_SCHEMA and key and element is not None:
            yield key, element


def variables_schema_keys(root) -> dict[str, object]:
    """Form key -> the first element naming it as its ``variablesSchema``, in a whole BPMN document."""
    found: dict[str, object] = {}
    for key, element in _schema_elements(root):
        found.setdefault(key, element)
    return found


def check_variables_schema(process, problems: ProblemList, filename: str) -> None:
    """A ``variablesSchema`` where no worker completes the element, or beside output parameters it overrides, is a
    warning on the element: the analyst meant something the engine will not do."""
    for key, node in _schema_elements(process):
        if _external_node(node) is None and not xpath(node, "./bpmn:extensionElements/camunda:connector"):
            problems.warning("variables_schema_unused",
                             N_("%(element)s declares the worker variables form %(form)s, but no worker completes "
                                "it. Make it an external task (camunda:type=\"external\" with a topic) or remove "
                                "the property variablesSchema."),
                             node=node, file=filename, params={"element": label(node), "form": repr(key)})
        elif xpath(node, "./bpmn:extensionElements/camunda:inputOutput/camunda:outputParameter"):
            problems.warning("variables_schema_with_outputs",
                             N_("%(element)s declares both output parameters and the worker variables form "
                                "%(form)s; the form decides what a worker may set and the output parameters are "
                                "not used. Keep one of the two."),
                             node=node, file=filename, params={"element": label(node), "form": repr(key)})


def _camunda(node, name: str) -> str | None:
    return node.get(f"{{{CAMUNDA_NS}}}{name}")


def _external_node(node):
    """The node carrying ``camunda:type="external"``: the element itself, or its message event definition."""
    if _camunda(node, "type") == EXTERNAL:
        return node
    for child in node:
        if isinstance(child.tag, str) and child.tag.endswith("messageEventDefinition") \
                and _camunda(child, "type") == EXTERNAL:
            return child
    return None


class _ExternalParser:
    """Reads the external task's settings into the spec's extensions (with ``camunda:properties``)."""

    def parse_extensions(self, node=None):
        extensions = CamundaTaskParser.parse_extensions(self, node)
        marked = _external_node(self.node)
        http = connector.read(self) if marked is None else None  # Lincah's own worker (engine/bpmn/connector.py)
        if marked is None and http is None:
            return extensions
        extensions["camunda:type"] = EXTERNAL
        extensions[TOPIC] = connector.TOPIC if http is not None else _camunda(marked, "topic") or ""
        if marked is not None and _camunda(marked, "taskPriority"):
            extensions[PRIORITY] = _camunda(marked, "taskPriority")
        for kind, key in (("inputParameter", INPUTS), ("outputParameter", OUTPUTS)):
            found = self.xpath(f"./bpmn:extensionElements/camunda:inputOutput/camunda:{kind}")
            if found:
                extensions[key] = {item.get("name"): (item.text or "").strip() for item in found}
        if http is not None:  # what the connector's output mapping sets, the worker's completion may set
            extensions[connector.SETTINGS] = http
            extensions[OUTPUTS] = {**dict.fromkeys(http["outputs"], ""), **extensions.get(OUTPUTS, {})}
        return extensions


class ServiceTaskParser(_ExternalParser, CamundaTaskParser):
    pass


class SendTaskParser(_ExternalParser, SendTaskParser):
    def create_task(self):
        if _external_node(self.node) is not None:
            return ServiceTask(self.spec, self.bpmn_id, **self.bpmn_attributes)
        return super().create_task()


class _MessageWithoutPayload:
    """A message throw without ``camunda:expression`` sends no variables.

    SpiffWorkflow's Camunda message evaluates its expression when thrown, and an absent one stopped the application
    there ("Error evaluating expression 'None'"). Camunda 7 reads the element as a plain throw; Lincah delivers the
    message as it delivers any other (``engine.casework.waiting``), carrying nothing but its name."""

    def parse_message_event(self, message_event):
        definition = super().parse_message_event(message_event)
        if getattr(definition, "expression", "") is None:
            definition.expression = "{}"
        return definition


def _external_message(parser) -> bool:
    message = first(parser.xpath(MESSAGE_EVENT_XPATH))
    return message is not None and _camunda(message, "type") == EXTERNAL


class IntermediateThrowEventParser(_MessageWithoutPayload, _ExternalParser, CamundaIntermediateThrowEventParser):
    def create_task(self):
        if _external_message(self):
            return ServiceTask(self.spec, self.bpmn_id, **self.bpmn_attributes)
        return super().create_task()


class EndEventParser(_MessageWithoutPayload, _ExternalParser, CamundaEndEventParser):
    """A message end event with ``camunda:type="external"`` is, as in Camunda 7, an external task — one that ends
    its path when the worker completes it (marked so that the application's outcome is still its name)."""

    def create_task(self):
        if not _external_message(self):
            return super().create_task()
        task = ServiceTask(self.spec, self.bpmn_id, **self.bpmn_attributes)
        task.connect(self.spec.end)
        return task

    def parse_extensions(self, node=None):
        if not _external_message(self):  # any other end event keeps what the library reads for it
            return CamundaEndEventParser.parse_extensions(self, node)
        return {**super().parse_extensions(node), ENDS_PATH: True}
