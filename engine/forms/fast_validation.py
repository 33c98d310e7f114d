"""A compiled check that accepts valid form data early: ``accepts(schema, data)``.

Validating a submission with ``jsonschema`` costs 40–170 µs even for a form of three fields (the research permit's
verification with its six-item checklist: 100 µs, some 5 % of the server's CPU for a completion over HTTP); most
submissions are valid. ``jsonschema-rs`` (Rust) checks the same data against the same schema in about 1 µs. It is used
only to say *yes*: when it accepts, the data is valid; when it refuses, or cannot answer, ``jsonschema`` runs as
before and writes the messages people read — so every error keeps its wording, field and order.

That is sound only where both libraries mean the same thing by the schema. They implement the same draft
(2020-12), but the forms' ``pattern`` runs on RE2 in Lincah (``engine.forms.patterns``: ``\\d`` is an ASCII digit)
and on Rust's regex in ``jsonschema-rs`` (any Unicode digit), ``format`` is checked by Lincah's own checkers
(attachment references, e-mail addresses), ``x-dates-in-order`` is Lincah's own keyword, and references could be
resolved differently. A schema that uses any of those — or any keyword not listed below, or another draft — never
takes this path (:func:`fast_path_for` answers ``None``). ``tests/engine/test_fast_validation.py`` holds the two
libraries to the same answer on generated data for every form that takes it.
"""

from __future__ import annotations

import jsonschema_rs

from engine.memo import per_schema

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"

# Keywords whose value is one schema, a list of schemas, or an object of schemas (by name): walked.
_ONE_SCHEMA = frozenset({"additionalProperties", "items", "not", "if", "then", "else", "contains"})
_SCHEMA_LIST = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SCHEMAS_BY_NAME = frozenset({"properties", "dependentSchemas", "$defs"})
# Keywords whose value is data (or a number, a list of names): both libraries read them alike.
_DATA = frozenset({
    "type", "enum", "const", "required", "dependentRequired", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "minLength", "maxLength", "minItems", "maxItems", "uniqueItems", "minContains",
    "maxContains", "minProperties", "maxProperties",
    # annotations: validate nothing in either library
    "title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly", "$comment", "$schema",
})
# Lincah's own keyword (``engine.forms.schemas``): jsonschema-rs would ignore it, so a form using it never takes the
# fast path. Every other ``x-`` keyword only describes the field (pages, letters, SLA) and validates nothing.
_OWN_KEYWORDS = frozenset({"x-dates-in-order"})


def takes_fast_path(schema) -> bool:
    """Whether every keyword of ``schema`` (and of each schema inside it) means the same to both libraries."""
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict):
        return False
    declared = schema.get("$schema")
    if declared is not None and (not isinstance(declared, str) or declared.rstrip("#") != DRAFT_2020_12):
        return False
    for keyword, value in schema.items():
        if keyword in _ONE_SCHEMA:
            if not takes_fast_path(value):
                return False
        elif keyword in _SCHEMA_LIST:
            if not isinstance(value, list) or not all(takes_fast_path(item) for item in value):
                return False
        elif keyword in _SCHEMAS_BY_NAME:
            if not isinstance(value, dict) or not all(takes_fast_path(item) for item in value.values()):
                return False
        elif keyword in _OWN_KEYWORDS or not (keyword in _DATA or keyword.startswith("x-")):
            return False
    return True


@per_schema
def fast_path_for(schema: dict):
    """The compiled validator of ``schema`` (as ``engine.forms.schemas`` validates it), or ``None`` when the schema
    must always go through ``jsonschema``."""
    if not takes_fast_path(schema):
        return None
    try:
        return jsonschema_rs.Draft202012Validator(schema)
    except Exception:  # noqa: BLE001 - a schema it cannot compile, for whatever reason: jsonschema decides
        return None


def accepts(schema: dict, data) -> bool:
    """True when ``data`` is certainly valid against ``schema``; False means "ask jsonschema", not "invalid"."""
    validator = fast_path_for(schema)
    if validator is None:
        return False
    try:
        return validator.is_valid(data)
    except ValueError:  # a value that is not JSON (it cannot come from a request): jsonschema decides
        return False
