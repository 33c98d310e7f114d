"""Applying through the pages: the office comes from the service, a hidden field cannot choose another, and a form
pattern that would make a backtracking engine explode answers at once."""

from __future__ import annotations

import time

import orjson
import pytest
from sqlalchemy import func, select

from engine.bpmn.compiler import SourceFile
from engine.forms.schemas import FormSource
from engine.services import definitions
from engine.storage.models import Instance, Task
from tests.engine.conftest import diagram
from tests.web.conftest import apply, page, research_form, vessel_form

pytestmark = pytest.mark.usefixtures("deployed", "people")


def _offices(db) -> set[str]:
    with db.transaction() as session:
        return set(session.scalars(select(Instance.jurisdiction))) | set(session.scalars(select(Task.jurisdiction)))


@pytest.mark.parametrize(("service", "form", "office"), [
    ("research_permit", lambda: research_form(jurisdiction="ghost"), "sulsel"),
    ("fishing_vessel_permit", lambda: vessel_form("sinjai", jurisdiction="bone"), "sinjai"),
])
def test_a_jurisdiction_slipped_into_the_apply_form_does_not_choose_the_office(visitor, db, service, form, office):
    application_id = apply(visitor("andi"), service, form())  # a new form each time: its files are read once
    with db.transaction() as session:
        assert session.get(Instance, application_id).jurisdiction == office
    assert _offices(db) == {office}


def test_a_regency_the_form_does_not_list_is_refused_on_its_field(visitor, db):
    response = visitor("andi").post("/services/fishing_vessel_permit/apply", vessel_form("ghost"))
    assert response.status_code == 422
    assert page(response).cssselect("#f-home_regency-error")
    with db.transaction() as session:
        assert session.scalar(select(func.count(Instance.id))) == 0


def test_an_explosive_pattern_answers_the_page_at_once(visitor, db, ctx):
    start_only = diagram("""
    <bpmn:startEvent id="start" camunda:formKey="apply"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="check"/>
    <bpmn:userTask id="check" name="Periksa" camunda:candidateGroups="verifier"/>
    <bpmn:sequenceFlow id="f1" sourceRef="check" targetRef="end"/><bpmn:endEvent id="end"/>""", process_id="kode")
    form = {"type": "object", "properties": {"code": {"type": "string", "title": "Kode", "pattern": "^(a+)+$"}}}
    with db.transaction() as session:
        definitions.deploy(session, ctx, SourceFile("kode.bpmn", start_only.encode()), [],
                           FormSource({"apply.json": orjson.dumps(form)}, []), actor="analis")
    person = visitor("andi")
    person.csrf()
    started = time.monotonic()
    response = person.post("/services/kode/apply", {"code": "a" * 30 + "!"})
    # Far from both answers (RE2: microseconds; a backtracking engine: about a minute), so no benchmark. Measured
    # after the fact: a backtracking match holds the GIL, so no watchdog thread could interrupt it.
    assert time.monotonic() - started < 5.0, "the page backtracked on a form pattern instead of using RE2"
    assert response.status_code == 422
    assert page(response).cssselect("#f-code-error")
