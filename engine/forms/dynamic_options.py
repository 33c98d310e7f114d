"""Choices that come from the task's data: spiff-arena's dynamic enums.

A spiff-arena form writes ``"anyOf": ["options_from_task_data_var:colour_options"]`` (or ``oneOf``/``enum``) for a
field whose choices a script computed earlier into the process variable ``colour_options`` — a list of
``{"value": …, "label": …}`` (or plain values). That list is not JSON Schema, so the form is read as
``"x-options-from-task-data": "colour_options"`` (:func:`declared`, when the form is checked at deploy), and each time
the task is opened or submitted the field gets the choices present in that task's data at that moment
(:func:`for_task`): a ``oneOf`` of labelled constants, which the task page shows as a choice and validation enforces
— a value that is not one of them is refused, as is any value while the variable holds no choices.
"""

from __future__ import annotations

import re
from dataclasses import replace

from engine.forms.fields import DATA_KEYWORDS
from engine.memo import per_schema

MARKER = "options_from_task_data_var:"
KEYWORD = "x-options-from-task-data"
_LISTS = ("anyOf", "oneOf", "enum")
_NAME = re.compile(r"[A-Za-z_]\w*")
MAX_OPTIONS = 1000  # choices shown and checked; a variable holding more is cut (a select of 1000 is already a lot)


def _marker_of(value) -> str | None:
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str) and value[0].startswith(MARKER):
        return value[0][len(MARKER):].strip()
    return None


def declared(schema, path: str = "") -> tuple[object, str | None]:
    """``schema`` with every dynamic enum written as :data:`KEYWORD`, and where (a JSON pointer) one names no
    variable (``None`` when all do). The schema given is not changed."""
    if isinstance(schema, list):
        items, bad = [], None
        for index, item in enumerate(schema):
            item, found = declared(item, f"{path}/{index}")
            items.append(item)
            bad = bad or found
        return items, bad
    if not isinstance(schema, dict):
        return schema, None
    result, bad = {}, None
    for keyword, value in schema.items():
        name = _marker_of(value) if keyword in _LISTS else None
        if name is not None:
            if not _NAME.fullmatch(name):
                bad = bad or f"{path}/{keyword}"
            result[KEYWORD] = name
            continue
        if keyword in DATA_KEYWORDS:
            result[keyword] = value
            continue
        result[keyword], found = declared(value, f"{path}/{keyword}")
        bad = bad or found
    return result, bad


@per_schema
def uses(schema: dict) -> bool:
    """Whether the form takes some of its choices from the step's data (``KEYWORD`` anywhere in it)."""
    return _uses(schema)


def _uses(schema) -> bool:
    if isinstance(schema, dict):
        return KEYWORD in schema or any(_uses(v) for k, v in schema.items() if k not in DATA_KEYWORDS)
    if isinstance(schema, list):
        return any(_uses(item) for item in schema)
    return False


def options(data: dict, name: str) -> list[tuple[object, str]]:
    """(value, label) of each choice the variable ``name`` holds in ``data``: ``{"value", "label"}`` objects as
    spiff-arena writes them, or plain strings and numbers; anything else is no choice."""
    found = []
    held = data.get(name) if isinstance(data, dict) else None
    for item in held if isinstance(held, list) else ():
        if isinstance(item, dict) and isinstance(item.get("value"), str | int | float) \
                and not isinstance(item.get("value"), bool):
            found.append((item["value"], str(item.get("label") if item.get("label") is not None else item["value"])))
        elif isinstance(item, str | int | float) and not isinstance(item, bool):
            found.append((item, str(item)))
        if len(found) >= MAX_OPTIONS:
            break
    return found


def resolved(schema, data: dict):
    """``schema`` with each dynamic enum replaced by the choices ``data`` holds now (a ``oneOf`` of ``const`` with
    titles; ``"enum": []`` — nothing is accepted — and the keyword kept when it holds none)."""
    if isinstance(schema, list):
        return [resolved(item, data) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {k: v if k in DATA_KEYWORDS else resolved(v, data) for k, v in schema.items() if k != KEYWORD}
    if KEYWORD in schema:
        choices = options(data, schema[KEYWORD])
        if choices:
            result["oneOf"] = [{"const": value, "title": label} for value, label in choices]
        else:  # the keyword stays, so that the refusal can say where the choices should have come from
            result.update({"enum": [], KEYWORD: schema[KEYWORD]})
    return result


def for_task(form, data: dict):
    """The task's form with its dynamic enums filled from the task's ``data`` (the form itself when it has none)."""
    if form is None or not uses(form.schema):
        return form
    return replace(form, schema=resolved(form.schema, data))
