"""What a diagram waits for from outside — messages and signals — and what each waiting element takes.

A message is named by the ``bpmn:message`` its ``messageEventDefinition`` (or receive task) refers to; a signal by
its ``bpmn:signal``. What a message may set is declared on the catching element, as for an external task
(``engine.bpmn.external``): its ``camunda:outputParameter`` entries (``name`` takes the message's ``name``,
``${x}`` takes the message's ``x`` into ``name``, any other text is a constant), or a JSON Schema form named by its
``camunda:formKey``. An element that declares neither takes no variables, and a message carrying some is refused
by name — as a form refuses fields it does not declare.

Lint says which messages and signals a diagram waits for, so the analyst knows which API client must be granted
which message (``lincah clients add NAME --message M``) before the service goes live.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from engine.bpmn.expressions import placeholder_name
from engine.bpmn.names import camunda, label, local, xpath
from engine.bpmn.problems import ProblemList
from engine.texts import N_

MESSAGE, SIGNAL = "message", "signal"
_CATCHING = ("startEvent", "intermediateCatchEvent", "boundaryEvent", "receiveTask")
EQUALS = "equals."


@dataclass(frozen=True)
class Receiver:
    """One element that waits for a message or a signal."""

    element_id: str
    kind: str  # message | signal
    name: str
    tag: str  # startEvent, intermediateCatchEvent, boundaryEvent, receiveTask
    outputs: dict | None = None  # camunda:outputParameter name -> text; None: none declared
    form_key: str | None = None
    extra: dict = field(default_factory=dict)
    # camunda:property ``equals.<variable>`` = a dotted path into the application's data (``retribusi.amount``):
    # the message's variable must hold exactly that value, or the message is refused naming the variable.
    equals: dict = field(default_factory=dict)


def _names(root, tag: str) -> dict:
    return {node.get("id"): (node.get("name") or node.get("id") or "").strip()
            for node in xpath(root, f"//bpmn:{tag}") if node.get("id")}


def receivers(process) -> list[Receiver]:
    """Every element of ``process`` (its subprocesses included) that waits for a message or a signal."""
    root = process.getroottree().getroot()
    messages, signals = _names(root, "message"), _names(root, "signal")
    found = []
    for node in process.iter():
        tag = local(node.tag)
        if tag not in _CATCHING or not node.get("id"):
            continue
        if tag == "receiveTask":
            refs = [(MESSAGE, node.get("messageRef"))]
        else:
            refs = [(MESSAGE, d.get("messageRef")) for d in xpath(node, "./bpmn:messageEventDefinition")]
            refs += [(SIGNAL, d.get("signalRef")) for d in xpath(node, "./bpmn:signalEventDefinition")]
        for kind, ref in refs:
            if kind == MESSAGE and tag != "receiveTask" and not ref:
                name = (node.get("name") or "").strip()  # as SpiffWorkflow's Camunda parser reads it
            else:
                name = (messages if kind == MESSAGE else signals).get(ref or "", "")
            if not name:
                continue
            outputs = {item.get("name"): (item.text or "").strip()
                       for item in xpath(node, "./bpmn:extensionElements/camunda:inputOutput/camunda:outputParameter")
                       if item.get("name")}
            form_key = (node.get(camunda("formKey")) or "").strip() or None
            equals = {item.get("name")[len(EQUALS):]: (item.get("value") or "").strip()
                      for item in xpath(node, "./bpmn:extensionElements/camunda:properties/camunda:property")
                      if (item.get("name") or "").startswith(EQUALS) and len(item.get("name")) > len(EQUALS)}
            found.append(Receiver(node.get("id"), kind, name, tag, outputs or None, form_key, equals=equals))
    return found


def _unnamed_throws(process) -> list:
    """Message throw and end events that name no message (no ``messageRef``, no element name to stand for it) and
    are not a worker's (``camunda:type="external"``): nothing could ever receive what they send."""
    found = []
    for node in process.iter():
        if not isinstance(node.tag, str) or local(node.tag) not in ("intermediateThrowEvent", "endEvent"):
            continue
        for definition in xpath(node, "./bpmn:messageEventDefinition"):
            if definition.get(camunda("type")) != "external" and not definition.get("messageRef") \
                    and not (node.get("name") or "").strip():
                found.append(node)
    return found


_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def _check_equals(receiver: Receiver, node, problems: ProblemList, filename: str) -> None:
    """``equals.<variable>`` must name a dotted path of the application's data, and a variable the element takes:
    a typo would otherwise refuse every message (every payment) at run time."""
    sources = {target if not text else placeholder_name(text) for target, text in (receiver.outputs or {}).items()}
    for variable, path in receiver.equals.items():
        if not _PATH.fullmatch(path):
            problems.error("message_equals_path",
                           N_("%(element)s: the property equals.%(variable)s must name where the expected value is "
                              "in the application's data, as a dotted path such as retribusi.amount; it is "
                              "%(path)s."),
                           node=node, file=filename, params={"element": label(node), "variable": variable,
                                                             "path": repr(path)})
        elif receiver.outputs is not None and receiver.form_key is None and variable not in sources:
            problems.error("message_equals_undeclared",
                           N_("%(element)s compares %(variable)s (equals.%(variable)s) but does not take that "
                              "variable from the message. Declare it with a camunda:outputParameter or a form "
                              "(camunda:formKey), or correct the name."),
                           node=node, file=filename, params={"element": label(node), "variable": variable})


def check_messages(process, problems: ProblemList, filename: str) -> None:
    """An informative note per message and signal the diagram waits for, on the first element that waits; an error
    on a message throw that names no message."""
    for node in _unnamed_throws(process):
        problems.error("message_throw_unnamed",
                       N_("%(element)s sends a message without naming it, so nothing can receive it. Choose the "
                          "message it sends (messageRef, a bpmn:message with a name), or mark it "
                          "camunda:type=\"external\" with a camunda:topic for a worker outside to do."),
                       node=node, file=filename, params={"element": label(node)})
    first: dict[tuple[str, str], object] = {}
    nodes = {node.get("id"): node for node in process.iter() if isinstance(node.tag, str) and node.get("id")}
    for receiver in receivers(process):
        first.setdefault((receiver.kind, receiver.name), nodes[receiver.element_id])
        _check_equals(receiver, nodes[receiver.element_id], problems, filename)
    for (kind, name), node in sorted(first.items(), key=lambda item: item[0]):
        if kind == MESSAGE:
            problems.info("waits_for_message",
                          N_("%(element)s waits for the message %(name)s. A system outside sends it to POST "
                             "/engine-rest/message as an API client granted it: lincah clients add NAME --message "
                             "%(plain)s (or another diagram of this installation throws it)."),
                          node=node, file=filename, params={"element": label(node), "name": repr(name), "plain": name})
        else:
            problems.info("waits_for_signal",
                          N_("%(element)s waits for the signal %(name)s, which POST /engine-rest/signal (or a "
                             "signal thrown by another application) broadcasts."),
                          node=node, file=filename, params={"element": label(node), "name": repr(name)})
