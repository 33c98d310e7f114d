"""A worker's variables declared by a JSON Schema form (``variablesSchema``) are refused over /engine-rest as
Camunda's clients expect a refusal: 400, Camunda's error shape, each offending variable named; valid ones 204."""

from __future__ import annotations

import pytest

from engine.bpmn.compiler import SourceFile
from engine.casework import applications
from engine.forms.schemas import FormSource
from engine.services import definitions
from engine.storage.models import Instance
from tests.api.test_engine_rest import _client, _fetch
from tests.engine.conftest import APPLICANT, form_uploads
from tests.engine.test_forms_beyond_tasks import FORMS, NIK_RESULT, WORKER


@pytest.fixture
def waiting(db, ctx):
    with db.transaction() as session:
        definitions.deploy(session, ctx, SourceFile("nik.bpmn", WORKER.encode()), [],
                           FormSource(form_uploads({**FORMS, "nik_result": NIK_RESULT}), []), actor="analis")
    with db.transaction() as session:
        return applications.start(session, ctx, service="p", data={"nik": "7371"}, actor=APPLICANT).id


def test_a_completion_outside_the_schema_is_a_400_naming_each_variable(client, people, db, waiting):
    headers = _client(client, people)
    (task,) = _fetch(client, headers).json
    complete = f"/engine-rest/external-task/{task['id']}/complete"
    refused = client.post(complete, headers=headers, json={"workerId": "w1", "variables": {
        "nik_valid": {"value": "ya", "type": "String"}, "approved": {"value": True, "type": "Boolean"}}})
    assert refused.status_code == 400 and refused.json["type"] and isinstance(refused.json["message"], str)
    assert set(refused.json["details"]) == {"nik_valid", "approved"}
    done = client.post(complete, headers=headers, json={"workerId": "w1", "variables": {
        "nik_valid": {"value": True, "type": "Boolean"}}})
    assert done.status_code == 204
    with db.transaction() as session:
        assert session.get(Instance, waiting).outcome == "NIK diperiksa"
