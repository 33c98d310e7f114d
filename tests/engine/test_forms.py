"""Validating what people submit: choices written as labelled constants are checked as plain lists of values."""

from __future__ import annotations

import copy

import orjson
import pytest

from engine.errors import InvalidData
from engine.forms import fields, schemas

CHECKLIST = {
    "type": "object",
    "properties": {
        "checklist": {"type": "array", "uniqueItems": True, "items": {"type": "string", "oneOf": [
            {"const": "ktp", "title": "KTP"}, {"const": "proposal", "title": "Proposal penelitian"}]}},
        "category": {"oneOf": [{"const": "student", "title": "Mahasiswa"}, {"const": "lecturer", "title": "Dosen"}]},
        # Not a plain list of choices: each branch is a schema of its own, kept as it is.
        "contact": {"oneOf": [{"type": "string", "format": "email"}, {"type": "string", "pattern": "^08[0-9]+$"}]},
    },
    "required": ["category"],
}


def test_labelled_choices_are_validated_as_an_enum_and_the_shown_schema_is_untouched():
    shown = copy.deepcopy(CHECKLIST)
    checked = schemas._choices_as_enums(shown)
    assert checked["properties"]["checklist"]["items"] == {"type": "string", "enum": ["ktp", "proposal"]}
    assert checked["properties"]["category"] == {"enum": ["student", "lecturer"]}
    assert checked["properties"]["contact"] == CHECKLIST["properties"]["contact"]
    assert shown == CHECKLIST


@pytest.mark.parametrize(("data", "errors"), [
    ({"category": "student", "checklist": ["ktp", "proposal"]}, set()),
    ({"category": "student", "checklist": []}, set()),
    ({"category": "alumni"}, {"category"}),
    ({"category": "student", "checklist": ["ktp", "passport"]}, {"checklist.1"}),
    ({"category": "student", "checklist": ["ktp", "ktp"]}, {"checklist"}),
    ({"checklist": ["ktp"]}, {"category"}),
    ({"category": "student", "contact": "nobody"}, {"contact"}),
])
def test_the_same_values_are_accepted_and_refused_field_by_field(data, errors):
    assert set(schemas.field_errors(CHECKLIST, data)) == errors
    if errors:
        with pytest.raises(InvalidData) as refused:
            schemas.validate(CHECKLIST, data, what="form")
        assert set(refused.value.details) == errors


def test_a_wrong_choice_names_the_allowed_values():
    message = schemas.field_errors(CHECKLIST, {"category": "alumni"})["category"]
    assert "'alumni' is not one of ['student', 'lecturer']" in message


def test_repeated_or_non_string_constants_keep_the_one_of():
    repeated = {"oneOf": [{"const": "a"}, {"const": "a", "title": "again"}]}
    numbers = {"oneOf": [{"const": 1}, {"const": 2}]}
    assert schemas._choices_as_enums(repeated) == repeated
    assert schemas._choices_as_enums(numbers) == numbers
    # Exactly one branch must match: two equal constants make every value fail, and still do.
    assert schemas.field_errors({"type": "object", "properties": {"x": repeated}}, {"x": "a"})


@pytest.mark.parametrize(("data", "field"), [
    ({"typename": "Task"}, "typename"),
    ({"vessel": {"name": "KM Bahari", "typename": "datetime"}}, "vessel.typename"),
    ({"crew": [{"name": "Udin"}, {"typename": "x"}]}, "crew.1.typename"),
])
def test_data_holding_the_serializers_own_key_is_refused_with_the_field(data, field):
    """SpiffWorkflow's serializer would save it and then fail to load the application ever again."""
    for schema in (None, {"type": "object"}):
        with pytest.raises(InvalidData) as refused:
            schemas.validate(schema, data)
        assert field in refused.value.details and "reserved" in refused.value.details[field]


def test_the_word_as_a_value_is_ordinary_data():
    schemas.validate({"type": "object"}, {"note": "typename", "tags": ["typename"]})


PERIOD = {"type": "object", "x-dates-in-order": [["start_date", "end_date"]], "properties": {
    "start_date": {"type": "string", "format": "date"}, "end_date": {"type": "string", "format": "date"}}}


@pytest.mark.parametrize(("data", "errors"), [
    ({"start_date": "2027-01-10", "end_date": "2026-01-01"},
     {"end_date": "Must not be before start_date (2027-01-10)."}),
    ({"start_date": "2027-01-10", "end_date": "2027-01-10"}, {}),
    ({"start_date": "2027-01-10", "end_date": "2027-03-31"}, {}),
    ({"end_date": "2026-01-01"}, {}),  # nothing to compare with (a revision may change one date only)
])
def test_dates_that_must_come_in_order_are_checked_on_the_later_field(data, errors):
    assert schemas.field_errors(PERIOD, data) == errors


@pytest.mark.parametrize("pairs", [["start_date", "end_date"], [["start_date", "ends"]], "start_date"])
def test_a_malformed_order_of_dates_is_a_problem_of_the_form(pairs):
    schema = {**PERIOD, "x-dates-in-order": pairs}
    files = schemas.FormFiles("svc/period", orjson.dumps(schema).decode(), None, "period.json")
    form, problems = schemas.check_form(files)
    assert form is None and "x-dates-in-order at (root)" in problems[0]


def test_a_field_the_form_does_not_declare_is_refused_by_name():
    errors = schemas.field_errors(CHECKLIST, {"category": "student", "issued": True, "permit_number": "503/1"})
    assert errors == {"issued": "This form has no such field; leave it out.",
                      "permit_number": "This form has no such field; leave it out."}
    # A field the engine adds itself (the decision of a task with choices) need not be declared.
    assert schemas.field_errors(CHECKLIST, {"category": "student", "decision": "Setujui"}, also=("decision",)) == {}


DECLARED_ELSEWHERE = {
    "type": "object",
    "properties": {"kind": {"type": "string"}},
    "allOf": [{"if": {"properties": {"kind": {"const": "company"}}}, "then": {"properties": {"nib": {}}}}],
    "oneOf": [{"properties": {"email": {}}}, {"$ref": "#/$defs/phone"}],
    "$defs": {"phone": {"properties": {"phone": {"type": "string"}}}},
}


def test_fields_declared_in_branches_and_references_count_as_declared():
    assert fields.declared_fields(DECLARED_ELSEWHERE) == {"kind", "nib", "email", "phone"}
    assert "other" in schemas.field_errors(DECLARED_ELSEWHERE, {"kind": "company", "email": "a@b.id", "other": 1})


@pytest.mark.parametrize("schema", [
    {"type": "object"},
    {"type": "object", "properties": {"a": {}}, "additionalProperties": {"type": "integer"}},
    {"type": "object", "properties": {"a": {}}, "patternProperties": {"^x_": {}}},
    {"type": "object", "properties": {"a": {}}, "allOf": [{"unevaluatedProperties": True}]},
])
def test_a_form_that_lists_no_fields_or_opens_itself_decides_on_other_fields_itself(schema):
    assert fields.declared_fields(schema) is None
    assert schemas.field_errors(schema, {"x_1": 5}) == {}


def _checked(schema: dict):
    return schemas.check_form(schemas.FormFiles("svc/apply", orjson.dumps(schema).decode(), None, "apply.json"))


@pytest.mark.parametrize(("ref", "where"), [
    ("http://127.0.0.1:9/person.json", "/properties/name"), ("file:///etc/passwd", "/properties/name"),
    ("person.json#/x", "/properties/name"), ("#/$defs/missing", "/properties/name"), ("#nowhere", "/properties/name"),
])
def test_a_reference_outside_the_form_is_a_problem_of_the_form(ref, where):
    """The validator only resolves a reference when a value reaches it: every submission was a 500."""
    form, problems = _checked({"type": "object", "properties": {"name": {"$ref": ref}}, "$defs": {"x": {}}})
    assert form is None and f"the reference {ref!r} at {where} does not point inside the form" in problems[0]


@pytest.mark.parametrize("ref", ["#", "#/$defs/phone", "#/$defs/a~1b", "#/$defs/with%20space", "#phone"])
def test_references_inside_the_form_are_fine(ref):
    schema = {"type": "object", "properties": {"name": {"$ref": ref}}, "$defs": {
        "phone": {"$anchor": "phone", "type": "string"}, "a/b": {}, "with space": {}}}
    form, problems = _checked(schema)
    assert problems == [] and form is not None
    assert schemas.field_errors(form.schema, {"name": {} if ref == "#" else "0812"}) == {}
