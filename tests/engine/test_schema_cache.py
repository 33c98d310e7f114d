"""What is read off a form's schema alone is worked out once per schema object (``engine.forms.schema_cache``) — and
only ever handed out for that object."""

from __future__ import annotations

import copy

import pytest

from engine.errors import InvalidData
from engine.forms import dynamic_options, fields
from engine.forms.schema_cache import MOST, per_schema
from engine.forms.schemas import validate

CHOICES_FROM_DATA = {"type": "object", "properties": {
    "office": {"type": "string", dynamic_options.KEYWORD: "offices"}, "note": {"type": "string"}}}
PLAIN = {"type": "object", "properties": {"note": {"type": "string"}}, "required": ["note"]}


def test_a_result_is_worked_out_once_per_schema_object_and_never_lent_to_another():
    calls = []

    @per_schema
    def field_count(schema):
        calls.append(schema)
        return len(schema.get("properties", {}))

    schema = copy.deepcopy(PLAIN)
    assert [field_count(schema) for _ in range(3)] == [1, 1, 1]
    assert calls == [schema]  # once for the object, however often asked
    twin = copy.deepcopy(PLAIN)
    twin["properties"]["title"] = {"type": "string"}
    assert field_count(twin) == 2  # another object: its own answer, not the first one's
    assert len(calls) == 2


def test_the_cache_starts_over_when_full_and_still_answers():
    @per_schema
    def answer(schema):
        return schema["n"]

    schemas = [{"n": n} for n in range(MOST + 5)]
    assert [answer(s) for s in schemas] == list(range(MOST + 5))
    assert [answer(s) for s in schemas[:3]] == [0, 1, 2]


def test_the_forms_questions_give_their_answers_from_the_cache_unchanged():
    schema = copy.deepcopy(CHOICES_FROM_DATA)
    assert dynamic_options.uses(schema) is True and dynamic_options.uses(schema) is True
    assert dynamic_options.uses(copy.deepcopy(PLAIN)) is False
    declared = fields.declared_fields(schema)
    assert declared == {"office", "note"}
    assert isinstance(declared, frozenset)  # shared between callers: nobody can change what the next one gets
    with pytest.raises(AttributeError):
        declared.add("issued")


def test_validation_of_a_cached_form_still_refuses_what_the_form_refuses():
    schema = copy.deepcopy(PLAIN)
    validate(schema, {"note": "Lengkap"})
    for _ in range(2):  # the second time from the cache: the same refusals
        with pytest.raises(InvalidData) as refused:
            validate(schema, {"issued": True})
        assert set(refused.value.details) == {"issued", "note"}
