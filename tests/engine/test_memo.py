"""Answers read off immutable objects — a form's schema, a diagram's specs — worked out once per object
(``engine.memo``), and only ever handed out for that very object."""

from __future__ import annotations

import copy

import pytest

from engine.errors import InvalidData
from engine.forms import dynamic_options, fields
from engine.forms.schemas import validate
from engine.memo import MOST, per_diagram, per_schema

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


class _Workflow:
    """What ``per_diagram`` reads of a workflow: its process spec and its called processes' specs."""

    def __init__(self, spec, subprocess_specs=None):
        self.spec, self.subprocess_specs = spec, subprocess_specs or {}


def test_a_diagram_fact_is_kept_with_the_very_specs_it_was_read_from():
    calls = []

    @per_diagram
    def spec_count(workflow):
        calls.append(workflow)
        return 1 + len(workflow.subprocess_specs)

    main, called, other_called = object(), object(), object()
    assert spec_count(_Workflow(main)) == 1
    assert spec_count(_Workflow(main, {})) == 1  # another workflow of the same diagram: from the cache
    assert len(calls) == 1
    # The same process spec with other called processes (or a copy of them) is another diagram.
    assert spec_count(_Workflow(main, {"sub": called})) == 2
    assert spec_count(_Workflow(main, {"sub": called})) == 2
    assert len(calls) == 2
    assert spec_count(_Workflow(main, {"sub": other_called})) == 2
    assert len(calls) == 3


def test_whether_a_diagram_waits_for_messages_or_workers_is_answered_per_diagram(db, ctx, deploy, deploy_service):
    from engine.casework import external_outbox, waiting
    from engine.workflow.runtime import new_workflow
    from tests.engine.test_external_tasks import FORMS as NIK_FORMS
    from tests.engine.test_external_tasks import NIK_CHECK
    from tests.engine.test_messages import CATCH, FORMS

    definitions = {"research permit": deploy_service("research_permit"), "payment message": deploy(CATCH, FORMS),
                   "registry worker": deploy(NIK_CHECK, NIK_FORMS, name="nik.bpmn")}
    answers = {}
    for name, definition in definitions.items():
        first, second = new_workflow(ctx, definition), new_workflow(ctx, definition)
        assert first.spec is second.spec  # restored once per definition: the cache's premise
        answers[name] = {(waiting.has_catching_elements(w), external_outbox.waiting_before(w) is not None)
                         for w in (first, second)}
    # Each diagram its own answer (catches a message, has an element a worker outside does), the same for every
    # workflow of it, whichever diagram was asked first.
    assert answers == {"research permit": {(False, False)}, "payment message": {(True, False)},
                       "registry worker": {(False, True)}}
