"""Engine test helpers: tiny diagrams written inline, deployed through the real pipeline."""

from __future__ import annotations

import orjson
import pytest

from engine.bpmn.compiler import SourceFile
from engine.forms.schemas import FormSource
from engine.people.access import Actor
from engine.services import definitions
from engine.storage.models import Task
from tests.conftest import PROJECT_ROOT

HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs" targetNamespace="http://lincah.test">\n'
)


def diagram(body: str, process_id: str = "p", extra: str = "", executable: str = "true") -> str:
    """A BPMN document with one process whose flow elements are ``body``."""
    return (f'{HEADER}  <bpmn:process id="{process_id}" isExecutable="{executable}">\n{body}\n  </bpmn:process>\n'
            f"{extra}</bpmn:definitions>\n")


def fields_form(**types: str) -> dict:
    """A form declaring each field with its JSON type (``amount="number"``): forms take only what they declare,
    and a step without a form takes no fields at all."""
    return {"type": "object", "properties": {name: {"type": kind} for name, kind in types.items()}}


def form_uploads(forms: dict) -> dict:
    """``{key: schema}`` as the uploaded files a deploy reads (``FormSource``)."""
    return {f"{key}.json": orjson.dumps(schema) for key, schema in forms.items()}


# A verification followed by a script that divides by what the officer entered: 0 makes the step fail.
REVIEW_THEN_DIVIDE = diagram("""
    <bpmn:startEvent id="s" camunda:formKey="apply"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="review"/>
    <bpmn:userTask id="review" name="Periksa" camunda:candidateGroups="verifier" camunda:formKey="review"/>
    <bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="compute"/>
    <bpmn:scriptTask id="compute" name="Hitung" scriptFormat="python">
      <bpmn:script>fee = base_fee / divisor</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="compute" targetRef="e"/><bpmn:endEvent id="e" name="Selesai"/>""")
REVIEW_FORMS = {"apply": fields_form(base_fee="number"), "review": fields_form(divisor="number")}

APPLICANT = Actor.of("andi", ["applicant"], full_name="Andi Pratama")
OTHER_APPLICANT = Actor.of("budi", ["applicant"])
VERIFIER = Actor.of("vera", ["officer"], ["verifier"], ["sulsel"])
HEAD = Actor.of("kadis", ["officer"], ["head_of_office"], ["sulsel"])
SINJAI_FISHERIES = Actor.of("sinta", ["officer"], ["regency_fisheries"], ["sinjai"])
BONE_FISHERIES = Actor.of("bona", ["officer"], ["regency_fisheries"], ["bone"])
REVIEWER = Actor.of("rudi", ["officer"], ["fisheries_reviewer"], ["sulsel"])
SUPERVISOR = Actor.of("supri", ["supervisor"], [], ["sulsel"])


@pytest.fixture
def deploy(db, ctx):
    """deploy(xml_text, forms={key: schema dict}, name=..., publish=True) -> ServiceDefinition."""

    def _deploy(xml: str, forms: dict | None = None, name: str = "test.bpmn", publish: bool = True):
        uploads = form_uploads(forms or {})
        with db.transaction() as session:
            result = definitions.deploy(session, ctx, SourceFile(name, xml.encode()), [],
                                        FormSource(uploads, []), actor="analyst", publish=publish)
            return result.definition

    return _deploy


@pytest.fixture
def deploy_service(db, ctx):
    """Deploy one of the real services from processes/ with its forms from forms/."""

    def _deploy(key: str):
        path = PROJECT_ROOT / "processes" / f"{key}.bpmn"
        with db.transaction() as session:
            return definitions.deploy(session, ctx, SourceFile(path.name, path.read_bytes()), [],
                                      definitions.form_source(ctx, path), actor="analyst").definition

    return _deploy


def open_task_rows(session, instance_id: int) -> list[Task]:
    return list(session.query(Task).filter(Task.instance_id == instance_id, Task.state.in_(("ready", "claimed")))
                .order_by(Task.created_at, Task.element_id))
