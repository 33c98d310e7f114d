"""What a form's JSON Schema declares and refers to, read from the schema alone (no data): the fields it takes, and
whether each ``$ref`` points inside the form.

Both guard what reaches the engine: submitted data becomes process variables, so a field the form does not declare
is refused (``engine.forms.schemas.field_errors``); and a reference the validator could not resolve would fail every
submission, so it is refused at deploy (``engine.forms.schemas.check_form``).
"""

from __future__ import annotations

from urllib.parse import unquote

from engine.memo import per_schema

# Keywords whose values are data, not schemas: never walked as subschemas.
DATA_KEYWORDS = frozenset({"const", "enum", "default", "examples"})


# Keywords by which a form says for itself which other fields it takes; with none of them, only its own.
_OPEN_KEYWORDS = ("additionalProperties", "unevaluatedProperties", "patternProperties")
_COMBINATORS = ("allOf", "anyOf", "oneOf", "if", "then", "else")


@per_schema
def declared_fields(schema: dict) -> frozenset[str] | None:
    """The top-level field names ``schema`` declares (in ``properties``, also inside ``allOf``/``anyOf``/``oneOf``/
    ``if``/``then``/``else``/``dependentSchemas`` and local ``$ref``); ``None`` when the form decides itself which
    others it takes (``additionalProperties``, ``unevaluatedProperties``, ``patternProperties``) or lists no fields
    at all (``{"type": "object"}``: any data)."""
    names = _declared(schema, schema, 0)
    return frozenset(names) if names else None


def _declared(schema, root: dict, depth: int) -> set[str] | None:
    if not isinstance(schema, dict) or depth > 20:
        return set()
    if any(keyword in schema for keyword in _OPEN_KEYWORDS):
        return None
    names = set(schema.get("properties") or {}) if isinstance(schema.get("properties"), dict) else set()
    subschemas: list = []
    for keyword in _COMBINATORS:
        value = schema.get(keyword)
        subschemas.extend(value if isinstance(value, list) else [value])
    dependent = schema.get("dependentSchemas")
    subschemas.extend(dependent.values() if isinstance(dependent, dict) else [])
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        subschemas.append(_pointer_target(root, ref[1:]))
    for sub in subschemas:
        if isinstance(sub, dict):
            more = _declared(sub, root, depth + 1)
            if more is None:
                return None
            names |= more
    return names


def _references(schema, path: str = ""):
    """Every ``$ref``/``$dynamicRef`` of a schema with where it is (a JSON pointer), and every ``$anchor``."""
    if isinstance(schema, list):
        for index, item in enumerate(schema):
            yield from _references(item, f"{path}/{index}")
    elif isinstance(schema, dict):
        for keyword, value in schema.items():
            if keyword in ("$ref", "$dynamicRef"):
                yield keyword, value, path or "(root)"
            elif keyword in ("$anchor", "$dynamicAnchor"):
                yield "$anchor", value, path
            elif keyword not in DATA_KEYWORDS:
                yield from _references(value, f"{path}/{keyword}")


def _pointer_target(root, pointer: str):
    """What a JSON pointer (``/$defs/name``) points at in ``root``; ``_NOWHERE`` when nothing."""
    target = root
    for part in pointer.split("/")[1:]:
        part = unquote(part).replace("~1", "/").replace("~0", "~")
        if isinstance(target, dict) and part in target:
            target = target[part]
        elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
            target = target[int(part)]
        else:
            return _NOWHERE
    return target


_NOWHERE = object()


def unresolved_reference(schema: dict) -> tuple[str, str] | None:
    """The first reference that does not resolve inside the form itself, with where it is; ``None`` when all do.

    The validator resolves references only when a value reaches them, and one it cannot resolve (another file, a
    web address, a pointer to nothing) fails every submission of the form — so they are refused at deploy."""
    found = list(_references(schema))
    anchors = {value for kind, value, _ in found if kind == "$anchor"}
    for kind, ref, where in found:
        if kind == "$anchor":
            continue
        if not isinstance(ref, str) or not ref.startswith("#"):
            return str(ref), where
        fragment = ref[1:]
        if fragment.startswith("/") or fragment == "":
            if _pointer_target(schema, fragment) is _NOWHERE:
                return ref, where
        elif fragment not in anchors:
            return ref, where
    return None
