"""Camunda 7's typed variables, to and from the JSON values Lincah keeps as process data.

A worker sends ``{"name": {"value": …, "type": "String"|"Boolean"|"Integer"|"Short"|"Long"|"Double"|"Json"|"Date"|
"Null"}}`` (the type may be left out: it is inferred from the value, as Camunda does); Lincah answers in the same
shape. ``Json`` travels as JSON text. Java-serialized objects have no meaning here and are refused by name.
What a worker may set is declared on the element (``camunda:outputParameter``), like a form's fields: anything else
is refused by name, and nothing reaches the workflow unless all of it is acceptable.
"""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from engine.bpmn.expressions import placeholder_name
from engine.bpmn.external import INPUTS, OUTPUTS
from engine.errors import InvalidData
from engine.workflow.serialization import RESERVED_KEY, reserved_key_path

_INT32 = range(-(2**31), 2**31)
_INTEGERS = {"integer", "short", "long"}


def typed(value) -> dict:
    """One process value as Camunda shows it."""
    if value is None:
        return {"type": "Null", "value": None, "valueInfo": {}}
    if isinstance(value, bool):
        return {"type": "Boolean", "value": value, "valueInfo": {}}
    if isinstance(value, int):
        return {"type": "Integer" if value in _INT32 else "Long", "value": value, "valueInfo": {}}
    if isinstance(value, float):
        return {"type": "Double", "value": value, "valueInfo": {}}
    if isinstance(value, str):
        return {"type": "String", "value": value, "valueInfo": {}}
    return {"type": "Json", "value": orjson.dumps(value).decode(), "valueInfo": {}}


def typed_all(values: dict) -> dict:
    return {name: typed(value) for name, value in values.items()}


def plain(variables, *, field: str = "variables") -> dict:
    """A worker's typed variables as plain values; ``InvalidData`` naming each one that is not acceptable."""
    if variables is None:
        return {}
    if not isinstance(variables, dict):
        raise InvalidData(f"{field} must be an object of typed values.", {field: "Send {name: {value, type}}."})
    values, errors = {}, {}
    for name, item in variables.items():
        try:
            values[name] = _plain(item)
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise InvalidData(f"Some {field} are not acceptable: {', '.join(sorted(errors))}.", errors)
    return values


def _plain(item):
    if not isinstance(item, dict) or "value" not in item and item.get("type", "").lower() != "null":
        raise ValueError("Send the variable as {\"value\": …, \"type\": …}.")
    value, kind = item.get("value"), (item.get("type") or "").lower()
    if not kind:
        return _inferred(value)
    if kind == "null" or value is None:
        return None
    if kind == "string" and isinstance(value, str):
        return value
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind in _INTEGERS and isinstance(value, int | float) and not isinstance(value, bool) and value == int(value):
        return int(value)
    if kind == "double" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind == "date" and isinstance(value, str):
        return _date(value)
    if kind == "json" or kind == "object" and _is_json_object(item):
        return _json(value)
    raise ValueError(f"A value of type {item.get('type')!r} cannot hold {value!r}; Lincah takes String, Boolean, "
                     "Integer, Short, Long, Double, Json, Date and Null.")


def _inferred(value):
    if isinstance(value, str | bool | int | float) or value is None:
        return value
    if isinstance(value, dict | list):
        return _checked(value)
    raise ValueError("Give the variable a type.")


def _is_json_object(item: dict) -> bool:
    info = item.get("valueInfo") or {}
    return info.get("serializationDataFormat") == "application/json"


def _json(value):
    if isinstance(value, str):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"The value is not JSON text: {exc}.") from exc
    return _checked(value)


def _checked(value):
    if reserved_key_path(value) is not None:
        raise ValueError(f"The key {RESERVED_KEY!r} is reserved by the workflow engine's state format.")
    return value


def _date(value: str) -> str:
    """Camunda's ``yyyy-MM-dd'T'HH:mm:ss.SSSZ`` (or any ISO-8601 instant) as ISO text in UTC."""
    text = value.strip()
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():  # +0800 -> +08:00
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError("A Date is written yyyy-MM-dd'T'HH:mm:ss.SSSZ, e.g. 2026-06-02T09:00:00.000+0800.") from exc
    if parsed.tzinfo is None:
        raise ValueError("A Date needs its offset from UTC, e.g. +0800.")
    return parsed.astimezone(UTC).isoformat()


def camunda_time(value: datetime | None) -> str | None:
    """An instant as Camunda writes it: ``2026-06-02T01:00:00.000+0000``."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def accepted(spec, values: dict) -> dict:
    """The process variables a worker's ``values`` set on the element ``spec``, following its output parameters.

    ``camunda:outputParameter name="nik_valid"`` takes the worker's ``nik_valid``; with the text ``${valid}`` it takes
    the worker's ``valid`` into ``nik_valid``; any other text is a constant. An element that declares none takes no
    variables. Undeclared variables are refused by name (``InvalidData``).
    """
    outputs = (getattr(spec, "extensions", None) or {}).get(OUTPUTS) or {}
    sources = {}
    for target, text in outputs.items():
        source = target if not text else placeholder_name(text)
        sources[target] = source
    wanted = {source for source in sources.values() if source}
    undeclared = sorted(name for name in values if name not in wanted)
    if undeclared:
        declared = ", ".join(sorted(wanted)) or "none"
        raise InvalidData(f"Step {spec.bpmn_id!r} does not take the variables {', '.join(undeclared)} "
                          f"(it takes: {declared}).",
                          {name: "Not declared by the element's output parameters." for name in undeclared})
    result = {}
    for target, source in sources.items():
        if source is None:
            result[target] = outputs[target]
        elif source in values:
            result[target] = values[source]
    return result


def shown(spec, data: dict, requested: list[str] | None, *, local_only: bool = False) -> dict:
    """What a worker sees of the process ``data``: the element's input parameters when it declares any (else the
    process variables, unless ``local_only``), narrowed to the names the worker asked for (``None``: all of them)."""
    inputs = (getattr(spec, "extensions", None) or {}).get(INPUTS)
    if inputs:
        visible = {}
        for name, text in inputs.items():
            source = placeholder_name(text) if text else name
            visible[name] = data.get(source) if source else text
    else:
        visible = {} if local_only else dict(data)
    if requested is not None:
        visible = {name: value for name, value in visible.items() if name in requested}
    return visible
