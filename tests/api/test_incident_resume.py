"""Resuming an application an incident stopped, through /api/v1, sends the external task back to its worker."""

from __future__ import annotations

from engine.storage.models import Event, ExternalTask, Instance
from tests.api.test_engine_rest import _client, _fetch, waiting  # noqa: F401 - the fixture is used by name


def test_resume_reopens_the_incident_and_the_worker_fetches_it_again(client, people, db, waiting):  # noqa: F811
    headers = _client(client, people)
    (task,) = _fetch(client, headers).json
    assert client.post(f"/engine-rest/external-task/{task['id']}/failure", headers=headers, json={
        "workerId": "w1", "errorMessage": "registry down", "retries": 0}).status_code == 204
    assert client.post(f"/api/v1/applications/{waiting}/resume", headers=people.headers("vera"),
                       json={"note": "x"}).status_code == 403
    resumed = client.post(f"/api/v1/applications/{waiting}/resume", headers=people.headers("supri"),
                          json={"note": "registry back"})
    assert resumed.status_code == 200, resumed.json
    with db.transaction() as session:
        row = session.get(ExternalTask, task["id"])
        assert (session.get(Instance, waiting).status, row.state, row.retries) == ("running", "open", 1)
        (event,) = session.query(Event).filter_by(kind="incident_retried").all()
        assert (event.actor, event.data["note"], event.data["via"]) == ("supri", "registry back", "resume")
    assert client.get(f"/api/v1/applications/{waiting}/incidents", headers=people.headers("supri")).json == {
        "items": []}
    assert [t["id"] for t in _fetch(client, headers, worker="w2").json] == [task["id"]]
