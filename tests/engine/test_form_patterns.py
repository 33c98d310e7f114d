"""Form patterns run on RE2: a pattern that makes a backtracking engine explode answers at once, and one RE2 cannot
run (a backreference, lookaround) is refused at deploy with the form, the field and what to write instead."""

from __future__ import annotations

import time

import pytest

from engine.casework import applications
from engine.errors import InvalidData, InvalidDefinition
from engine.forms import patterns, schemas
from tests.engine.conftest import APPLICANT, diagram

# Against Python's re, `^(a+)+$` takes seconds at 26 characters and doubles with each one more.
EXPLOSIVE = "^(a+)+$"
HOSTILE = "a" * 30 + "!"
# RE2 answers in microseconds; a backtracking engine needs about a minute for HOSTILE.
HANG_GUARD = 5.0

START_ONLY = diagram("""
    <bpmn:startEvent id="start" camunda:formKey="apply"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="check"/>
    <bpmn:userTask id="check" name="Periksa" camunda:candidateGroups="verifier"/>
    <bpmn:sequenceFlow id="f1" sourceRef="check" targetRef="end"/><bpmn:endEvent id="end"/>""")


def _within_guard(call):
    """``call()``'s result, failing when it took longer than ``HANG_GUARD`` seconds.

    Measured after the fact: a backtracking match holds the GIL, so a watchdog thread could not interrupt it. The
    guard is far from both answers — RE2 takes microseconds, Python's re about a minute on ``HOSTILE`` — so it
    tells the two engines apart on any machine, and is no benchmark."""
    started = time.monotonic()
    value = call()
    assert time.monotonic() - started < HANG_GUARD, "validation backtracked on a pattern instead of using RE2"
    return value


def _error(refused) -> str:
    (message,) = [p["message"] for p in refused.value.problems if p["severity"] == "error"]
    return message


def _form(**properties) -> dict:
    return {"type": "object", "properties": properties}


def test_an_explosive_pattern_refuses_a_hostile_value_at_once():
    form = _form(code={"type": "string", "pattern": EXPLOSIVE})
    errors = _within_guard(lambda: schemas.field_errors(form, {"code": HOSTILE}))
    assert set(errors) == {"code"} and "does not match" in errors["code"]
    assert schemas.field_errors(form, {"code": "aaaa"}) == {}


def test_an_explosive_pattern_on_field_names_refuses_a_hostile_name_at_once():
    form = {"type": "object", "patternProperties": {EXPLOSIVE: {"type": "integer"}}, "additionalProperties": False}
    errors = _within_guard(lambda: schemas.field_errors(form, {HOSTILE: 1}))
    assert errors == {"(form)": f"Unknown field(s): {HOSTILE!r}; leave them out."}
    assert schemas.field_errors(form, {"aaa": 1}) == {}
    assert set(schemas.field_errors(form, {"aaa": "one"})) == {"aaa"}, "a matching name still gets its own schema"


def test_the_names_a_field_pattern_covers_are_not_additional():
    form = {"type": "object", "properties": {"title": {"type": "string"}},
            "patternProperties": {"^doc_": {"type": "string"}}, "additionalProperties": False}
    assert schemas.field_errors(form, {"title": "x", "doc_ktp": "ktp.pdf"}) == {}
    assert schemas.field_errors(form, {"title": "x", "other (2)": 1, "lain": 2}) == {
        "(form)": "Unknown field(s): 'lain', 'other (2)'; leave them out."}


def test_the_web_pages_validate_with_the_same_safe_patterns():
    form = _form(code={"type": "string", "pattern": EXPLOSIVE})
    errors = _within_guard(lambda: list(patterns.validator(form).iter_errors({"code": HOSTILE})))
    assert [error.validator for error in errors] == ["pattern"]


@pytest.mark.parametrize(("pattern", "value", "matches"), [
    ("^[0-9]{16}$", "7371010101010001", True),
    ("^[0-9]{16}$", "737101010101000", False),
    ("^(\\+62|0)[0-9]{8,13}$", "+6281234567890", True),
    ("^\\u00e9cole$", "école", True),  # ECMA-262's \uXXXX, the way JSON Schema patterns spell a code point
    ("^\\d+$", "١٢٣", False),  # \d is ASCII digits, as in ECMA-262
    ("bone", "kabupaten bone", True),  # patterns search; they are not anchored unless they say so
])
def test_patterns_keep_their_json_schema_meaning(pattern, value, matches):
    assert (schemas.field_errors(_form(f={"type": "string", "pattern": pattern}), {"f": value}) == {}) is matches


@pytest.mark.parametrize(("pattern", "what"), [("^(a)\\1$", "\\1"), ("^(?=.*[0-9]).{8,}$", "(?=")])
def test_a_pattern_re2_cannot_run_is_refused_at_deploy_naming_the_form_and_the_field(deploy, pattern, what):
    form = _form(nik={"type": "string"}, address=_form(postcode={"type": "string", "pattern": pattern}))
    with pytest.raises(InvalidDefinition) as refused:
        deploy(START_ONLY, {"apply": form})
    (problem,) = [p for p in refused.value.problems if p["severity"] == "error"]
    assert problem["code"] == "form_invalid" and problem["element_id"] == "start"
    message = problem["message"]
    assert "'apply'" in message and "field address.postcode" in message
    assert "/properties/address/properties/postcode/pattern" in message and what in message
    assert "RE2" in message and "without backreferences" in message
    assert "address.postcode" in problem["message_id"], "the Indonesian message keeps where it is"


def test_a_field_name_pattern_re2_cannot_run_is_refused_at_deploy(deploy):
    form = {"type": "object", "patternProperties": {"^(x)\\1": {"type": "string"}}}
    with pytest.raises(InvalidDefinition) as refused:
        deploy(START_ONLY, {"apply": form})
    assert "/patternProperties/" in _error(refused)


def test_field_name_patterns_with_unevaluated_properties_are_refused_at_deploy(deploy):
    form = {"type": "object", "patternProperties": {"^x_": {}}, "unevaluatedProperties": False}
    with pytest.raises(InvalidDefinition) as refused:
        deploy(START_ONLY, {"apply": form})
    assert "use additionalProperties instead" in _error(refused)


def test_a_service_with_an_explosive_pattern_deploys_and_refuses_the_hostile_value_promptly(db, ctx, deploy):
    deploy(START_ONLY, {"apply": _form(code={"type": "string", "pattern": EXPLOSIVE})})

    def start():
        with db.transaction() as session:
            try:
                applications.start(session, ctx, service="p", data={"code": HOSTILE}, actor=APPLICANT)
            except InvalidData as refused:
                return refused.details
        return None

    assert set(_within_guard(start)) == {"code"}


def test_a_pattern_snapshotted_before_the_check_fails_its_field_and_never_runs_on_re():
    form = _form(code={"type": "string", "pattern": "^(a)\\1$"})
    errors = schemas.field_errors(form, {"code": "aa"})
    assert "cannot be checked" in errors["code"]
