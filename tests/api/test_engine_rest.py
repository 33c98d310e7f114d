"""/engine-rest speaks Camunda 7's external-task contract to API clients: typed variables, 204s, Camunda's error
types; administrators manage the clients and supervisors retry incidents through /api/v1."""

from __future__ import annotations

import base64
import time

import pytest
from click.testing import CliRunner

from api.cli import main as cli
from engine.casework import applications
from engine.storage.models import Event, Instance
from tests.engine.conftest import APPLICANT, form_uploads
from tests.engine.test_external_tasks import FORMS, NIK_CHECK

FETCH = "/engine-rest/external-task/fetchAndLock"


@pytest.fixture
def waiting(db, ctx):
    """An application whose NIK check waits for a worker."""
    from engine.bpmn.compiler import SourceFile
    from engine.forms.schemas import FormSource
    from engine.services import definitions

    with db.transaction() as session:
        definitions.deploy(session, ctx, SourceFile("nik.bpmn", NIK_CHECK.encode()), [],
                           FormSource(form_uploads(FORMS), []), actor="analis")
    with db.transaction() as session:
        return applications.start(session, ctx, service="p", data={"nik": "7371010101010001", "phone": "0812"},
                                  actor=APPLICANT).id


def _client(client, people, name="dukcapil", topics=("nik-check",)) -> dict:
    """Basic-auth headers of a new API client, created by an administrator through the API."""
    answer = client.post("/api/v1/clients", json={"name": name, "topics": list(topics)},
                         headers=people.headers("admin"))
    assert answer.status_code == 201, answer.json
    token = base64.b64encode(f"{name}:{answer.json['secret']}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _fetch(client, headers, worker="w1", topic="nik-check", **extra):
    return client.post(FETCH, headers=headers, json={
        "workerId": worker, "maxTasks": 5, "topics": [{"topicName": topic, "lockDuration": 60000}], **extra})


def test_a_worker_fetches_typed_variables_and_completes_with_204(client, people, db, waiting):
    headers = _client(client, people)
    answer = _fetch(client, headers)
    assert answer.status_code == 200
    (task,) = answer.json
    assert (task["topicName"], task["workerId"], task["activityId"], task["processInstanceId"]) == (
        "nik-check", "w1", "check", str(waiting))
    assert task["variables"] == {"nik": {"type": "String", "value": "7371010101010001", "valueInfo": {}}}
    assert task["lockExpirationTime"].endswith("+0000") and task["businessKey"].startswith("")
    done = client.post(f"/engine-rest/external-task/{task['id']}/complete", headers=headers,
                       json={"workerId": "w1", "variables": {"nik_valid": {"value": True, "type": "Boolean"}}})
    assert (done.status_code, done.data) == (204, b"")
    with db.transaction() as session:
        assert session.get(Instance, waiting).outcome == "NIK sah"


def test_camundas_error_types_and_statuses(client, people, waiting):
    headers = _client(client, people)
    (task,) = _fetch(client, headers).json
    wrong = client.post(f"/engine-rest/external-task/{task['id']}/complete", headers=headers,
                        json={"workerId": "someone-else"})
    assert wrong.status_code == 400 and wrong.json["type"] == "BadUserRequestException"
    assert "locked by worker 'w1'" in wrong.json["message"]
    missing = client.post("/engine-rest/external-task/nope/complete", headers=headers, json={"workerId": "w1"})
    assert (missing.status_code, missing.json["type"]) == (404, "NotFoundException")
    undeclared = client.post(f"/engine-rest/external-task/{task['id']}/complete", headers=headers,
                             json={"workerId": "w1", "variables": {"secret": {"value": 1, "type": "Integer"}}})
    assert undeclared.status_code == 400 and list(undeclared.json["details"]) == ["secret"]
    read = client.get(f"/engine-rest/external-task/{task['id']}", headers=headers)
    assert (read.status_code, read.json["workerId"]) == (200, "w1")
    assert client.get("/engine-rest/external-task/nope", headers=headers).json["type"] == "InvalidRequestException"
    unsigned = client.post(FETCH, json={"workerId": "w1", "maxTasks": 1, "topics": [{"topicName": "nik-check",
                                                                                    "lockDuration": 1000}]})
    assert (unsigned.status_code, unsigned.json["type"]) == (401, "AuthenticationException")
    assert unsigned.headers["WWW-Authenticate"].startswith("Basic")


def test_a_client_fetching_another_topic_is_refused_and_sees_no_data(client, people, waiting):
    headers = _client(client, people, name="gateway", topics=("payment",))
    refused = _fetch(client, headers)
    assert (refused.status_code, refused.json["type"]) == (403, "AuthorizationException")
    assert client.get("/engine-rest/external-task", headers=headers).json == []


def test_a_long_poll_waits_a_bounded_time_and_answers_empty(client, people, db):
    headers = _client(client, people)
    started = time.monotonic()
    answer = _fetch(client, headers, asyncResponseTimeout=700)
    assert answer.status_code == 200 and answer.json == []
    assert 0.6 < time.monotonic() - started < 5


def test_extend_lock_unlock_and_failure_answer_204(client, people, waiting):
    headers = _client(client, people)
    (task,) = _fetch(client, headers).json
    base = f"/engine-rest/external-task/{task['id']}"
    assert client.post(f"{base}/extendLock", headers=headers, json={"workerId": "w1", "newDuration": 1000}
                       ).status_code == 204
    assert client.post(f"{base}/unlock", headers=headers).status_code == 204
    (again,) = _fetch(client, headers, worker="w2").json
    assert client.post(f"{base}/failure", headers=headers, json={
        "workerId": "w2", "errorMessage": "down", "retries": 3, "retryTimeout": 60000}).status_code == 204
    assert _fetch(client, headers).json == []  # waits out the retry timeout
    assert again["id"] == task["id"]


def test_an_incident_shows_on_the_application_and_a_supervisor_retries_it(client, people, db, waiting):
    headers = _client(client, people)
    (task,) = _fetch(client, headers).json
    assert client.post(f"/engine-rest/external-task/{task['id']}/failure", headers=headers, json={
        "workerId": "w1", "errorMessage": "registry down", "errorDetails": "HTTP 503", "retries": 0}
                       ).status_code == 204
    supervisor = people.headers("supri")
    listed = client.get(f"/api/v1/applications/{waiting}/incidents", headers=supervisor)
    assert listed.status_code == 200
    (incident,) = listed.json["items"]
    assert (incident["id"], incident["error_message"], incident["error_details"]) == (
        task["id"], "registry down", "HTTP 503")
    assert client.post(f"/api/v1/applications/{waiting}/incidents/{task['id']}/retry",
                       headers=people.headers("vera"), json={}).status_code == 403
    retried = client.post(f"/api/v1/applications/{waiting}/incidents/{task['id']}/retry", headers=supervisor,
                          json={"retries": 2, "note": "registry back"})
    assert (retried.status_code, retried.json["state"], retried.json["retries"]) == (200, "open", 2)
    with db.transaction() as session:
        assert session.get(Instance, waiting).status == "running"
    assert [t["id"] for t in _fetch(client, headers).json] == [task["id"]]


def test_every_call_that_changes_something_is_audited_with_the_client(client, people, db, waiting):
    headers = _client(client, people)
    (task,) = _fetch(client, headers).json
    client.post(f"/engine-rest/external-task/{task['id']}/complete", headers=headers,
                json={"workerId": "w1", "variables": {"nik_valid": {"value": True}}})
    with db.transaction() as session:
        kinds = [(e.kind, e.actor) for e in session.query(Event).filter(Event.actor == "client:dukcapil")
                 .order_by(Event.id)]
    assert kinds == [("external_task_locked", "client:dukcapil"), ("external_task_completed", "client:dukcapil"),
                     ("completed", "client:dukcapil")]  # the file ended with the step


def test_administrators_rotate_and_revoke_clients(client, people):
    headers = _client(client, people)
    admin = people.headers("admin")
    assert client.get("/api/v1/clients", headers=people.headers("supri")).status_code == 403
    assert [c["name"] for c in client.get("/api/v1/clients", headers=admin).json["items"]] == ["dukcapil"]
    rotated = client.post("/api/v1/clients/dukcapil/rotate", headers=admin)
    assert rotated.status_code == 200 and rotated.json["secret"].startswith("lcc_")
    assert _fetch(client, headers).status_code == 401  # the old secret
    bearer = {"Authorization": f"Bearer {rotated.json['secret']}"}
    assert _fetch(client, bearer).status_code == 200
    assert client.post("/api/v1/clients/dukcapil/revoke", headers=admin).json["active"] is False
    assert _fetch(client, bearer).status_code == 401


def test_lincah_clients_add_prints_the_secret_alone_on_its_last_line(db, tmp_path):
    env = {"LINCAH_DATABASE_URL": db.url, "LINCAH_INSTANCE_PATH": str(tmp_path / "instance")}
    runner = CliRunner()
    added = runner.invoke(cli, ["clients", "add", "dukcapil", "--topic", "nik-check", "--jurisdiction", "sulsel"],
                          env=env)
    assert added.exit_code == 0, added.output
    secret = added.output.strip().splitlines()[-1]
    assert secret.startswith("lcc_") and " " not in secret
    listed = runner.invoke(cli, ["clients", "list"], env=env)
    assert "dukcapil\tactive\ttopics nik-check; messages -; offices sulsel" in listed.output
    rotated = runner.invoke(cli, ["clients", "rotate", "dukcapil"], env=env)
    assert rotated.output.strip().splitlines()[-1] != secret
    assert runner.invoke(cli, ["clients", "revoke", "dukcapil"], env=env).exit_code == 0
    assert "revoked" in runner.invoke(cli, ["clients", "list"], env=env).output
    assert runner.invoke(cli, ["clients", "add", "dukcapil"], env=env).exit_code == 1
