"""What a message or signal may set on the element that receives it: checked like a form's data.

The receiving element declares it (``engine.bpmn.messages``): output parameters, or a JSON Schema form by its
``camunda:formKey`` (a form the definition snapshotted — the start form of a message start event, or a form a
task of the service also uses). Anything else is refused by name, and nothing reaches the workflow unless all of
it is acceptable. The declarations are read once per definition from its stored BPMN (a version never changes).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from lxml import etree
from sqlalchemy.orm import Session

from engine.bpmn.expressions import placeholder_name
from engine.bpmn.messages import Receiver, receivers
from engine.errors import InvalidData
from engine.forms import schemas
from engine.services import definitions
from engine.storage.models import ServiceDefinition
from engine.workflow.runtime import APPLICATION_FIELD

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
_CACHE: OrderedDict[tuple, dict[str, list[Receiver]]] = OrderedDict()
_LOCK = threading.Lock()
_CACHE_SIZE = 256


def declarations(definition: ServiceDefinition) -> dict[str, list[Receiver]]:
    """Element id -> what it receives, for every receiving element of the definition's files."""
    key = (definition.id, definition.sha256)  # the hash too: another database may reuse the id
    with _LOCK:
        found = _CACHE.get(key)
        if found is not None:
            return found
    found: dict[str, list[Receiver]] = {}
    for text in [definition.bpmn, *(definition.extra_bpmn or {}).values()]:
        root = etree.fromstring(text.encode("utf-8") if isinstance(text, str) else text, _PARSER)
        for receiver in receivers(root):
            found.setdefault(receiver.element_id, []).append(receiver)
    with _LOCK:
        _CACHE[key] = found
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return found


def receiver_of(definition: ServiceDefinition, element_id: str, kind: str, name: str) -> Receiver | None:
    return next((r for r in declarations(definition).get(element_id, []) if r.kind == kind and r.name == name), None)


def accepted(session: Session, definition: ServiceDefinition, element_id: str, kind: str, name: str, values: dict,
             *, strict: bool = True) -> dict:
    """The process variables ``values`` set on the element ``element_id`` receiving ``name``.

    ``strict`` (a message from outside): a variable the element does not declare is refused by name
    (``InvalidData``), and a form's rules apply. Otherwise (a message another application threw, which carries that
    application's whole data) the element takes what it declares and leaves the rest.
    """
    receiver = receiver_of(definition, element_id, kind, name)
    form = definitions.form_of(session, definition, receiver.form_key) if receiver and receiver.form_key else None
    if form is not None:
        if not strict:
            wanted = set(form.schema.get("properties") or {})
            values = {key: value for key, value in values.items() if key in wanted}
        schemas.validate(form.schema, values, what=f"message {name!r}")
        return dict(values)
    outputs = (receiver.outputs if receiver else None) or {}
    sources = {target: (target if not text else placeholder_name(text)) for target, text in outputs.items()}
    wanted = {source for source in sources.values() if source}
    undeclared = sorted(key for key in values if key not in wanted)
    if undeclared and strict:
        raise InvalidData(f"Element {element_id!r} receiving {kind} {name!r} does not take the variables "
                          f"{', '.join(undeclared)} (it takes: {', '.join(sorted(wanted)) or 'none'}). Declare them "
                          "with camunda:outputParameter on the element, or a form (camunda:formKey).",
                          {key: "Not declared by the receiving element." for key in undeclared})
    result = {}
    for target, source in sources.items():
        if source is None:
            result[target] = outputs[target]
        elif source in values:
            result[target] = values[source]
    if APPLICATION_FIELD in result:
        raise InvalidData(f"A message may not set {APPLICATION_FIELD!r}: the application's own facts.",
                          {APPLICATION_FIELD: "Reserved."})
    return result


_MISSING = object()


def _at(data: dict, path: str):
    value = data
    for part in path.split("."):
        value = value.get(part, _MISSING) if isinstance(value, dict) else _MISSING
    return value


def unequal(definition: ServiceDefinition, element_id: str, kind: str, name: str, values: dict,
            data: dict) -> dict[str, str]:
    """Variable -> why, for each variable of ``values`` the receiving element wants equal to a value of the
    application's ``data`` (``equals.<variable>`` properties: a bill's amount) and that differs; empty when none."""
    receiver = receiver_of(definition, element_id, kind, name)
    wrong = {}
    for variable, path in (receiver.equals if receiver else {}).items():
        expected, got = _at(data, path), values.get(variable, _MISSING)
        if expected is _MISSING or got != expected or isinstance(got, bool) != isinstance(expected, bool):
            shown = "nothing" if got is _MISSING else repr(got)
            wrong[variable] = (f"Must be {expected!r} (the application's {path}), got {shown}."
                               if expected is not _MISSING else f"The application has no {path} to compare with.")
    return wrong
