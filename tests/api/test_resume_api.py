"""POST /api/v1/applications/{id}/resume: an application stopped by an error runs again from its last good state."""

from __future__ import annotations

import orjson

from engine.bpmn.compiler import SourceFile
from engine.forms.schemas import FormSource
from engine.services import definitions
from tests.api.conftest import complete, open_task
from tests.engine.conftest import REVIEW_FORMS, REVIEW_THEN_DIVIDE, form_uploads


def _stopped_application(client, people, db, ctx) -> tuple[int, str]:
    """An application whose verification failed on the officer's data (division by zero): flagged, task open."""
    with db.transaction() as session:
        definitions.deploy(session, ctx, SourceFile("p.bpmn", REVIEW_THEN_DIVIDE.encode()), [],
                           FormSource(form_uploads(REVIEW_FORMS), []), actor="analis")
    andi, vera = people.headers("andi"), people.headers("vera")
    created = client.post("/api/v1/applications", headers=andi, json={"service": "p", "data": {"base_fee": 100}})
    assert created.status_code == 201, created.get_json()
    application_id = created.get_json()["id"]
    task = open_task(client, vera, application_id, "review")
    failed = complete(client, vera, task["id"], {"divisor": 0})
    assert failed.status_code == 422 and failed.get_json()["error"]["code"] == "process_error"
    return application_id, task["id"]


def test_a_supervisor_resumes_and_the_officer_submits_again(client, people, db, ctx):
    application_id, task_id = _stopped_application(client, people, db, ctx)
    detail = client.get(f"/api/v1/applications/{application_id}", headers=people.headers("supri")).get_json()
    assert detail["status"] == "error" and detail["error_element"] == "compute"
    resumed = client.post(f"/api/v1/applications/{application_id}/resume", headers=people.headers("supri"),
                          json={"note": "Pembagi dikoreksi bersama pemohon"})
    assert resumed.status_code == 200, resumed.get_json()
    assert resumed.get_json()["status"] == "running"
    assert complete(client, people.headers("vera"), task_id, {"divisor": 4}).status_code == 200
    detail = client.get(f"/api/v1/applications/{application_id}", headers=people.headers("supri")).get_json()
    assert detail["status"] == "completed" and detail["data"]["fee"] == 25
    kinds = [event["kind"] for event in detail["history"]]
    assert kinds.index("error") < kinds.index("resumed") < kinds.index("completed")


def test_officers_may_not_resume_and_a_running_application_is_a_conflict(client, people, db, ctx):
    application_id, _ = _stopped_application(client, people, db, ctx)
    refused = client.post(f"/api/v1/applications/{application_id}/resume", headers=people.headers("vera"))
    assert refused.status_code == 403
    assert client.post(f"/api/v1/applications/{application_id}/resume",
                       headers=people.headers("supri")).status_code == 200
    again = client.post(f"/api/v1/applications/{application_id}/resume", headers=people.headers("supri"),
                        data=orjson.dumps({}), content_type="application/json")
    assert again.status_code == 409 and "only an application stopped by an error" in again.get_json()["error"][
        "message"]
