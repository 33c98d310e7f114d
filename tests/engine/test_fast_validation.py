"""The compiled check that accepts valid form data early (engine/forms/fast_validation.py) gives jsonschema's answer.

It may only ever say *yes* where ``jsonschema`` — which words every error — says yes too; so for every form of the
shipped services that takes the fast path, both libraries must agree on generated submissions: the form's own
fields with values drawn from its choices and from any JSON, missing fields, fields of the wrong type, extra fields.
Forms whose meaning could differ between the two (patterns on RE2, Lincah's formats, its own keyword, another
draft, references) must never take it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.forms import fast_validation, schemas

ROOT = Path(__file__).resolve().parents[2]
FORMS = sorted(path for path in (ROOT / "forms").glob("*/*.json") if not path.name.endswith(".ui.json"))
FAST_FORMS = [path for path in FORMS if fast_validation.takes_fast_path(json.loads(path.read_text()))]


def _names_and_values(schema, names: set, values: list) -> None:
    """The property names and the literal values (enum, const, bounds' neighbours) anywhere in ``schema``."""
    if isinstance(schema, list):
        for item in schema:
            _names_and_values(item, names, values)
        return
    if not isinstance(schema, dict):
        return
    names.update((schema.get("properties") or {}).keys())
    values.extend(schema.get("enum") or [])
    if "const" in schema:
        values.append(schema["const"])
    for bound in ("minLength", "maxLength", "minItems", "maxItems", "minimum", "maximum"):
        if isinstance(schema.get(bound), int):
            values.extend(["x" * schema[bound], schema[bound], schema[bound] + 1, schema[bound] - 1])
    for value in schema.values():
        if isinstance(value, dict | list):
            _names_and_values(value, names, values)


JSON_SCALARS = (st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1)
                | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12))


def _values_for(schema) -> st.SearchStrategy:
    """Any JSON, the schema's own literals, and lists of them (checklists)."""
    names: set = set()
    values: list = []
    _names_and_values(schema, names, values)
    literals = st.sampled_from(values) if values else st.nothing()
    anything = st.recursive(JSON_SCALARS | literals, lambda inner: st.lists(inner, max_size=7)
                            | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=10)
    return st.one_of(literals, st.lists(literals, max_size=8, unique=True), st.lists(literals, max_size=8), anything)


def submissions(schema: dict):
    """Objects of any keys, and objects of the form's own fields each with a value close to its own choices."""
    names: set = set()
    _names_and_values(schema, names, [])
    anything = _values_for(schema)
    loose = st.dictionaries(st.sampled_from(sorted(names | {"decision"})) | st.text(max_size=6), anything,
                            max_size=len(names) + 2)
    decisions: list = []
    _names_and_values([branch.get("if", {}) for branch in schema.get("allOf") or []], set(), decisions)
    own = {name: _values_for(field) for name, field in (schema.get("properties") or {}).items()}
    if decisions:
        own["decision"] = st.sampled_from(decisions) | st.text(max_size=6)
    return loose | st.fixed_dictionaries({}, optional=own)


def test_the_officers_forms_take_the_fast_path_and_the_applicants_forms_do_not():
    fast = {f"{path.parent.name}/{path.name}" for path in FAST_FORMS}
    assert {"research_permit/verify.json", "research_permit/sign.json", "fishing_vessel_permit/review.json"} <= fast
    # Application forms use patterns (NIK, phone numbers), e-mail and attachment formats: jsonschema only.
    assert "research_permit/apply.json" not in fast and "fishing_vessel_permit/apply.json" not in fast


@pytest.mark.parametrize("path", FAST_FORMS, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_both_libraries_answer_alike_on_generated_submissions(path):
    schema = json.loads(path.read_text())
    compiled, reference = fast_validation.fast_path_for(schema), schemas._validator(schema)
    assert compiled is not None

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(submissions(schema))
    def agree(data):
        assert compiled.is_valid(data) == reference.is_valid(data), data

    agree()


def test_a_valid_submission_is_accepted_early_and_an_invalid_one_gets_jsonschemas_messages():
    schema = json.loads((ROOT / "forms" / "research_permit" / "verify.json").read_text())
    complete = {"checklist": ["ktp", "proposal"], "note": "Berkas lengkap", "decision": "Setujui"}
    returned = {"decision": "Kembalikan untuk perbaikan"}  # the form requires a note for this decision

    assert fast_validation.accepts(schema, complete)
    assert schemas.field_errors(schema, complete, also=("decision",)) == {}
    assert not fast_validation.accepts(schema, returned)
    assert schemas.field_errors(schema, returned, also=("decision",)) == {"note": "This field is required."}
    assert "checklist" in schemas.field_errors(schema, {"checklist": ["ktp", "ktp"]}, also=("decision",))


@pytest.mark.parametrize("schema", [
    {"type": "object", "properties": {"nik": {"type": "string", "pattern": "^\\d{16}$"}}},
    {"type": "object", "properties": {"email": {"type": "string", "format": "email"}}},
    {"type": "object", "patternProperties": {"^x": {"type": "string"}}},
    {"type": "object", "propertyNames": {"maxLength": 3}},
    {"type": "object", "properties": {"a": {"$ref": "#/$defs/a"}}, "$defs": {"a": {"type": "string"}}},
    {"type": "object", "x-dates-in-order": [["start", "end"]],
     "properties": {"start": {"type": "string"}, "end": {"type": "string"}}},
    {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"},
    {"type": "object", "properties": {"n": {"type": "number", "multipleOf": 0.01}}},
    {"type": "object", "unevaluatedProperties": False},
    {"type": "array", "items": [{"type": "string"}]},  # the array form of items: not 2020-12
    {"type": "object", "allOf": [{"properties": {"a": {"pattern": "x"}}}]},  # deep inside an applicator
])
def test_a_schema_whose_meaning_could_differ_goes_through_jsonschema(schema):
    assert fast_validation.fast_path_for(schema) is None
    assert not fast_validation.accepts(schema, {})


def test_keywords_are_told_from_names_and_data():
    # A property called "pattern" or "format" is a field, and an enum may hold any words: both stay fast.
    schema = {"type": "object", "properties": {"pattern": {"type": "string"}, "format": {"enum": ["$ref", "format"]}},
              "x-widget": {"pattern": "anything"}, "required": ["pattern"]}

    assert fast_validation.fast_path_for(schema) is not None
    assert fast_validation.accepts(schema, {"pattern": "a", "format": "$ref"})
    assert not fast_validation.accepts(schema, {"format": "$ref"})


def test_a_value_that_is_not_json_is_left_to_jsonschema():
    schema = {"type": "object", "properties": {"note": {"type": "string"}}}

    assert not fast_validation.accepts(schema, {"note": object()})
    assert "note" in schemas.field_errors(schema, {"note": object()})


# Schemas an analyst could draw with the keywords the fast path takes: both libraries must agree on them too.
_LITERALS = (st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from([0.5, 1.0, 2**64, -(2**70)])
             | st.sampled_from(["", "a", "b", "é", "🙂", "ab"]))


def _schemas(depth: int = 2):
    bounds = st.integers(0, 3)
    leaf = st.one_of(
        st.booleans(),
        st.fixed_dictionaries({"type": st.sampled_from(["string", "integer", "number", "boolean", "null", "array",
                                                        "object"])}),
        st.fixed_dictionaries({"enum": st.lists(_LITERALS, min_size=1, max_size=4)}),
        st.fixed_dictionaries({"const": _LITERALS}),
        st.fixed_dictionaries({}, optional={"minLength": bounds, "maxLength": bounds, "minItems": bounds,
                                            "maxItems": bounds, "uniqueItems": st.booleans(),
                                            "minimum": _LITERALS.filter(lambda v: type(v) in (int, float)),
                                            "exclusiveMaximum": st.integers(-2, 2),
                                            "minProperties": bounds, "title": st.text(max_size=3)}),
    )
    if depth == 0:
        return leaf
    inner = _schemas(depth - 1)
    names = st.sampled_from(["a", "b", "c"])
    some_names = st.lists(names, max_size=2, unique=True)
    return leaf | st.one_of(
        st.fixed_dictionaries({"type": st.just("object"), "properties": st.dictionaries(names, inner, max_size=3)},
                              optional={"required": st.lists(names, max_size=3, unique=True),
                                        "additionalProperties": inner,
                                        "dependentRequired": st.dictionaries(names, some_names, max_size=2)}),
        st.fixed_dictionaries({"type": st.just("array"), "items": inner},
                              optional={"prefixItems": st.lists(inner, max_size=2), "contains": inner,
                                        "minContains": bounds}),
        st.fixed_dictionaries({"allOf": st.lists(inner, min_size=1, max_size=2)}),
        st.fixed_dictionaries({"anyOf": st.lists(inner, min_size=1, max_size=2)}),
        st.fixed_dictionaries({"oneOf": st.lists(inner, min_size=1, max_size=2)}),
        st.fixed_dictionaries({"not": inner}),
        st.fixed_dictionaries({"if": inner, "then": inner}, optional={"else": inner}),
    )


_DATA = st.recursive(_LITERALS, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), inner, max_size=4), max_leaves=8)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_schemas(), _DATA)
def test_both_libraries_agree_on_any_schema_the_fast_path_takes(schema, data):
    compiled = fast_validation.fast_path_for(schema) if isinstance(schema, dict) else None
    if compiled is None:
        return  # a boolean schema, or one it refuses: jsonschema decides, nothing to compare
    assert compiled.is_valid(data) == schemas._validator(schema).is_valid(data), (schema, data)
