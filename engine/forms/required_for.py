"""Fields a decision needs complete: ``"x-required-for": ["approve"]`` on a property of a task's form.

A verification checklist may be left half-ticked while the officer returns the file for revision or rejects it, but
an approving choice needs every item ticked — JSON Schema cannot say so, since the form does not know what a choice
*means*. The keyword names the meanings (``approve``, ``reject``, ``return``, ``other``: what
``engine.bpmn.choices`` resolves at deploy for each choice) for which the field must be complete:

* a checklist (an array whose items are choices: ``oneOf`` of ``const`` with ``title``, or an ``enum``): every item
  ticked;
* a boolean: ``true``;
* any other field: given and not empty.

``engine.casework.tasks`` asks :func:`incomplete` once the data is otherwise valid and the choice's meaning known.
"""

from __future__ import annotations

from engine.texts import N_, Text

REQUIRED_FOR = "x-required-for"
# The meanings a choice can have; the same words as engine.bpmn.choices.MEANINGS (a later package: not imported).
MEANINGS = ("approve", "reject", "return", "other")


def misused(schema: dict) -> str | None:
    """Where (a JSON pointer) the keyword is not a list of meanings, or stands elsewhere than on a top-level field;
    ``None`` when it is used well (or not at all)."""
    for name, prop in (schema.get("properties") or {}).items() if isinstance(schema.get("properties"), dict) else ():
        if not isinstance(prop, dict) or REQUIRED_FOR not in prop:
            continue
        value = prop[REQUIRED_FOR]
        if not (isinstance(value, list) and value and all(v in MEANINGS for v in value)):
            return f"/properties/{name}"
    if REQUIRED_FOR in schema:
        return "(root)"
    return None


def items_of(prop: dict) -> list[tuple[str, str]]:
    """(value, title) of a checklist's items; empty when the field is not a list of choices."""
    items = prop.get("items") if prop.get("type") == "array" else None
    if not isinstance(items, dict):
        return []
    if isinstance(items.get("oneOf"), list):
        return [(b["const"], str(b.get("title") or b["const"])) for b in items["oneOf"]
                if isinstance(b, dict) and "const" in b]
    if isinstance(items.get("enum"), list):
        return [(value, str(value)) for value in items["enum"]]
    return []


def incomplete(schema: dict | None, data: dict, meaning: str | None, decision: str) -> dict[str, Text]:
    """``{field: what is missing}`` for the fields ``schema`` needs complete for a choice meaning ``meaning``."""
    if not schema or meaning is None or not isinstance(schema.get("properties"), dict):
        return {}
    missing: dict[str, Text] = {}
    for name, prop in schema["properties"].items():
        if not isinstance(prop, dict) or meaning not in (prop.get(REQUIRED_FOR) or ()):
            continue
        value = data.get(name)
        items = items_of(prop)
        if items:
            ticked = set(value) if isinstance(value, list) else set()
            left = [title for item, title in items if item not in ticked]
            if left:
                missing[name] = Text(N_("Tick every item before choosing %(decision)s; not yet ticked: %(items)s."),
                                     {"decision": repr(decision), "items": ", ".join(left)})
        elif prop.get("type") == "boolean":
            if value is not True:
                missing[name] = Text(N_("Tick this before choosing %(decision)s."), {"decision": repr(decision)})
        elif value is None or value == "" or value == [] or value == {}:
            missing[name] = Text(N_("Fill this in before choosing %(decision)s."), {"decision": repr(decision)})
    return missing


def title_of(schema: dict, name: str) -> str:
    prop = (schema.get("properties") or {}).get(name)
    title = prop.get("title") if isinstance(prop, dict) else None
    return f"{title} ({name})" if title else name
