"""A worker's completion is answered below Flask (api.hot_path, api.engine_rest.hot_path) exactly as Flask would
answer it: the same statuses, bodies and headers, request id, audit, counters — and every error still comes from
Flask's handlers."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from api.engine_rest import hot_path
from engine.integration import external_tasks
from engine.storage.models import Event, Instance
from tests.api import test_engine_rest
from tests.api.conftest import answered
from tests.api.test_engine_rest import _client, _fetch

waiting = test_engine_rest.waiting  # the NIK-check service deployed (and one application waiting)
pytestmark = pytest.mark.usefixtures("waiting")

COMPLETE = "/engine-rest/external-task/{}/complete"
DONE = {"nik_valid": {"value": True, "type": "Boolean"}}


def _task(client, people, db, ctx, name: str) -> tuple[dict, str]:
    """A new application waiting for its NIK check, fetched by worker w1 of client ``name``."""
    from engine.casework import applications
    from tests.engine.conftest import APPLICANT

    with db.transaction() as session:
        applications.start(session, ctx, service="p", data={"nik": "7371010101010001", "phone": "0812"},
                           actor=APPLICANT)
    headers = _client(client, people, name=name)
    (task,) = _fetch(client, headers, maxTasks=1).json
    return headers, task


def _answer(response, task_id: str) -> tuple:
    headers = {name: value for name, value in response.headers.items() if name not in ("X-Request-ID", "Date")}
    return response.status_code, response.get_data().replace(task_id.encode(), b"{id}"), headers


# Each case: (name, how to call complete for a task the client's worker w1 holds).
CASES = [
    ("completes", lambda c, h, t: c.post(COMPLETE.format(t), headers=h, json={"workerId": "w1", "variables": DONE})),
    ("another worker", lambda c, h, t: c.post(COMPLETE.format(t), headers=h, json={"workerId": "w2"})),
    ("no worker id", lambda c, h, t: c.post(COMPLETE.format(t), headers=h, json={})),
    ("unknown task", lambda c, h, t: c.post(COMPLETE.format("nope"), headers=h, json={"workerId": "w1"})),
    ("undeclared variable", lambda c, h, t: c.post(COMPLETE.format(t), headers=h, json={
        "workerId": "w1", "variables": {"secret": {"value": 1, "type": "Integer"}}})),
    ("wrong secret", lambda c, h, t: c.post(COMPLETE.format(t), headers={"Authorization": "Basic eDp5"},
                                            json={"workerId": "w1"})),
    ("no credentials", lambda c, h, t: c.post(COMPLETE.format(t), json={"workerId": "w1"})),
    ("broken JSON", lambda c, h, t: c.post(COMPLETE.format(t), headers={**h, "Content-Type": "application/json"},
                                           data=b'{"workerId": ')),
    ("not an object", lambda c, h, t: c.post(COMPLETE.format(t), headers=h, json=["w1"])),
    ("not JSON", lambda c, h, t: c.post(COMPLETE.format(t), headers={**h, "Content-Type": "text/plain"},
                                        data=b"workerId=w1")),
    ("empty body", lambda c, h, t: c.post(COMPLETE.format(t), headers=h)),
    ("a GET", lambda c, h, t: c.get(COMPLETE.format(t), headers=h)),
]


@pytest.mark.parametrize("name,call", CASES, ids=[case[0] for case in CASES])
def test_the_completion_path_answers_as_flask_does(client, people, db, ctx, flask_only, name, call):
    answers = []
    for n, on in enumerate((True, False)):
        flask_only(on)
        headers, task = _task(client, people, db, ctx, f"client-{n}")
        answers.append(_answer(call(client, headers, task["id"]), task["id"]))
    assert answers[0] == answers[1]


def test_the_plain_completion_never_reaches_flask(app, client, people, db, ctx, monkeypatch):
    headers, task = _task(client, people, db, ctx, "dukcapil")
    monkeypatch.setitem(app.view_functions, "engine_rest.complete", lambda task_id: pytest.fail("Flask answered"))
    done = client.post(COMPLETE.format(task["id"]), headers={**headers, "X-Request-ID": "worker-0001"},
                       json={"workerId": "w1", "variables": DONE})
    assert (done.status_code, done.headers["X-Request-ID"]) == (204, "worker-0001")
    assert done.headers["X-Content-Type-Options"] == "nosniff" and "default-src" in done.headers[
        "Content-Security-Policy"]
    with db.factory() as session:
        (event,) = session.scalars(select(Event).where(Event.kind == "external_task_completed")).all()
        assert (event.actor, event.data["request_id"], event.data["worker"]) == ("client:dukcapil", "worker-0001",
                                                                                 "w1")
        assert session.get(Instance, int(task["processInstanceId"])).outcome == "NIK sah"
    monkeypatch.undo()
    assert client.post(COMPLETE.format(task["id"]), headers=headers,
                       json={"workerId": "w1"}).json["type"] == "NotFoundException"  # done: exactly once


def test_its_answers_are_counted_and_logged_like_flasks(client, people, db, ctx, caplog):
    headers, task = _task(client, people, db, ctx, "dukcapil")
    caplog.set_level("INFO", logger="lincah.http")
    before = answered(client, "POST", hot_path.ROUTE.rule, 204)
    client.post(COMPLETE.format(task["id"]), headers=headers, json={"workerId": "w1", "variables": DONE})
    path = COMPLETE.format(task["id"])
    assert any(record.getMessage().startswith(f"POST {path} 204 ") for record in caplog.records)
    assert answered(client, "POST", hot_path.ROUTE.rule, 204) == before + 1


def test_an_unavailable_database_is_flasks_503_and_changes_nothing(client, people, db, ctx, monkeypatch):
    headers, task = _task(client, people, db, ctx, "dukcapil")

    def down(*args, **kwargs):
        raise OperationalError("UPDATE instance", {}, Exception("server closed the connection unexpectedly"))
    monkeypatch.setattr(external_tasks, "complete", down)
    answer = client.post(COMPLETE.format(task["id"]), headers=headers, json={"workerId": "w1", "variables": DONE})
    assert (answer.status_code, answer.headers["Retry-After"]) == (503, "5")
    monkeypatch.undo()
    with db.factory() as session:
        assert session.get(Instance, int(task["processInstanceId"])).outcome is None
    assert client.post(COMPLETE.format(task["id"]), headers=headers,
                       json={"workerId": "w1", "variables": DONE}).status_code == 204  # and the worker tries again


def test_a_bug_is_flasks_logged_500_with_a_reference(client, people, db, ctx, monkeypatch, caplog):
    headers, task = _task(client, people, db, ctx, "dukcapil")
    monkeypatch.setattr(external_tasks, "complete", lambda *a, **k: {}["no such key"])
    answer = client.post(COMPLETE.format(task["id"]), headers={**headers, "X-Request-ID": "bug-1"},
                         json={"workerId": "w1"})
    assert answer.status_code == 500 and answer.headers["X-Request-ID"] == "bug-1"
    reference = answer.json["error"]["details"]["reference"]
    (logged,) = [record for record in caplog.records if reference in record.getMessage()]
    assert logged.exc_info and "no such key" in str(logged.exc_info[1])
