"""/engine-rest/message and /signal answer as Camunda 7's REST API does: 204, the result list with resultEnabled,
400 RestException for a message nobody (or several) waits for, 403 for a message the client was not granted."""

from __future__ import annotations

import base64

import pytest

from engine.casework import applications
from engine.storage.models import Instance
from tests.engine.conftest import APPLICANT, deploy  # noqa: F401 - the fixture
from tests.engine.test_messages import CATCH, FORMS, SIGNALLED


@pytest.fixture
def waiting(db, ctx, deploy):  # noqa: F811 - the imported fixture
    deploy(CATCH, FORMS)
    deploy(SIGNALLED, FORMS, name="t.bpmn")
    with db.transaction() as session:
        started = [applications.start(session, ctx, service="p", data={"nik": "1", "bill": f"B-{n}"}, actor=APPLICANT)
                   for n in (1, 2)]
        return [(instance.id, instance.registration_no) for instance in started]


def _client(client, people, name="bank", messages=("payment_received",)) -> dict:
    answer = client.post("/api/v1/clients", json={"name": name, "messages": list(messages)},
                         headers=people.headers("admin"))
    assert answer.status_code == 201, answer.json
    token = base64.b64encode(f"{name}:{answer.json['secret']}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _status(db, instance_id) -> str:
    with db.transaction() as session:
        return session.get(Instance, instance_id).status


def test_a_correlation_by_business_key_answers_204(client, people, db, waiting):
    (first, number), (second, _) = waiting
    answer = client.post("/engine-rest/message", headers=_client(client, people), json={
        "messageName": "payment_received", "businessKey": number,
        "processVariables": {"amount": {"value": 150000, "type": "Integer"}}})
    assert (answer.status_code, answer.data) == (204, b"")
    assert (_status(db, first), _status(db, second)) == ("completed", "running")


def test_result_enabled_answers_camundas_result_list_with_variables(client, people, waiting):
    (first, _), _ = waiting
    answer = client.post("/engine-rest/message", headers=_client(client, people), json={
        "messageName": "payment_received", "correlationKeys": {"bill": {"value": "B-1", "type": "String"}},
        "processVariables": {"amount": {"value": 5}}, "resultEnabled": True, "variablesInResultEnabled": True})
    assert answer.status_code == 200
    (result,) = answer.json
    assert result["resultType"] == "Execution" and result["processInstance"] is None
    assert result["execution"]["processInstanceId"] == str(first)
    assert result["variables"]["amount"] == {"type": "Integer", "value": 5, "valueInfo": {}}


def test_no_match_and_ambiguity_are_400_rest_exceptions_and_change_nothing(client, people, db, waiting):
    (first, _), (second, _) = waiting
    headers = _client(client, people)
    none = client.post("/engine-rest/message", headers=headers,
                       json={"messageName": "payment_received", "businessKey": "nope"})
    assert (none.status_code, none.json["type"]) == (400, "RestException")
    assert none.json["message"].startswith("Cannot correlate message 'payment_received'")
    both = client.post("/engine-rest/message", headers=headers, json={"messageName": "payment_received"})
    assert (both.status_code, both.json["type"]) == (400, "RestException")
    assert (_status(db, first), _status(db, second)) == ("running", "running")
    every = client.post("/engine-rest/message", headers=headers,
                        json={"messageName": "payment_received", "all": True, "resultEnabled": True})
    assert len(every.json) == 2 and (_status(db, first), _status(db, second)) == ("completed", "completed")


def test_a_client_correlating_another_message_is_refused_and_nothing_changes(client, people, db, waiting):
    (first, number), _ = waiting
    headers = _client(client, people, name="post", messages=("letter_signed",))
    answer = client.post("/engine-rest/message", headers=headers,
                         json={"messageName": "payment_received", "businessKey": number})
    assert (answer.status_code, answer.json["type"]) == (403, "AuthorizationException")
    assert _status(db, first) == "running"
    unsigned = client.post("/engine-rest/message", json={"messageName": "payment_received", "businessKey": number})
    assert unsigned.status_code == 401


def test_undeclared_variables_are_a_400_naming_them(client, people, db, waiting):
    (first, number), _ = waiting
    answer = client.post("/engine-rest/message", headers=_client(client, people), json={
        "messageName": "payment_received", "businessKey": number,
        "processVariables": {"is_admin": {"value": True, "type": "Boolean"}}})
    assert answer.status_code == 400 and list(answer.json["details"]) == ["is_admin"]
    assert _status(db, first) == "running"


def test_a_signal_answers_204_and_reaches_the_waiting_applications(client, people, db, ctx, waiting):
    with db.transaction() as session:
        signalled = applications.start(session, ctx, service="t", data={"nik": "1"}, actor=APPLICANT).id
    headers = _client(client, people, name="ministry", messages=("tariff_changed",))
    answer = client.post("/engine-rest/signal", headers=headers, json={"name": "tariff_changed", "tenantId": None})
    assert answer.status_code == 204
    assert _status(db, signalled) == "completed"
