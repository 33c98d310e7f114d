"""A person's task completion is answered below Flask (api.hot_path, api.views.tasks_hot_path) exactly as Flask
would answer it: the same statuses, bodies and headers, request id, audit, counters — and every error still comes
from Flask's handlers."""

from __future__ import annotations

import json
import tempfile

import psycopg
import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from api.views import tasks_hot_path
from engine.casework import tasks, use_cases
from engine.storage.models import Event, Task
from tests import samples
from tests.api.conftest import answered, apply

pytestmark = pytest.mark.usefixtures("deployed")

COMPLETE = "/api/v1/tasks/{}/complete"
APPROVE = {"data": {**samples.VERIFIED, "note": "Lengkap"}, "decision": "Setujui"}


def _masked(value):
    """The answer's JSON with what differs between two applications masked: ids and times."""
    if isinstance(value, dict):
        return {key: "…" if key == "id" or key.endswith("_at") else _masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return value


def _answer(response, created: dict) -> tuple:
    (task,) = created["tasks"]
    headers = {name: value for name, value in response.headers.items()
               if name not in ("X-Request-ID", "Date", "Content-Length")}
    text = response.get_data(as_text=True).replace(task["id"], "{task}")
    text = text.replace(created["registration_no"], "{number}")
    body = _masked(json.loads(text)) if response.is_json else text
    return response.status_code, body, headers


def _revision(client, headers, task_id: str) -> int:
    return client.get(COMPLETE.format(task_id).removesuffix("/complete"), headers=headers).get_json()["revision"]


def _post(who: str, body=None, **options):
    """Completing the application's verification task as ``who`` (a bearer token) with the JSON ``body``."""
    def call(client, people, task_id):
        return client.post(COMPLETE.format(task_id), headers=people.headers(who), json=body, **options)
    return call


def _raw(who: str, data: bytes, content_type: str = "application/json"):
    def call(client, people, task_id):
        return client.post(COMPLETE.format(task_id), data=data,
                           headers={**people.headers(who), "Content-Type": content_type})
    return call


def _after(first, then):
    """``first`` (its answer ignored), then ``then``: the answer compared."""
    def call(client, people, task_id):
        first(client, people, task_id)
        return then(client, people, task_id)
    return call


def _stale(client, people, task_id):
    vera = people.headers("vera")
    return client.post(COMPLETE.format(task_id), headers=vera,
                       json={**APPROVE, "expected_revision": _revision(client, vera, task_id) - 1})


def _claimed_by_colleague(client, people, task_id):
    client.post(f"/api/v1/tasks/{task_id}/claim", headers=people.headers("veri2"))
    return client.post(COMPLETE.format(task_id), headers=people.headers("vera"), json=APPROVE)


# Each case: (name, how to call complete for a fresh application's verification task).
CASES = [
    ("approves", _post("vera", APPROVE)),
    ("returns for revision", _post("vera", {"data": {"note": "KTP buram"}, "decision": "Kembalikan untuk perbaikan"})),
    ("with the right revision", lambda c, p, t: c.post(COMPLETE.format(t), headers=p.headers("vera"), json={
        **APPROVE, "expected_revision": _revision(c, p.headers("vera"), t)})),
    ("stale revision", _stale),
    ("claimed by a colleague", _claimed_by_colleague),
    ("completed already", _after(_post("vera", APPROVE), _post("vera", APPROVE))),
    ("not a choice", _post("vera", {"data": {}, "decision": "Terserah"})),
    ("no decision", _post("vera", {"data": samples.VERIFIED})),
    ("approval with the checklist incomplete", _post("vera", {"data": {}, "decision": "Setujui"})),
    ("a field of the wrong type", _post("vera", {"data": {"checklist": "semua"}, "decision": "Setujui"})),
    ("another office", _post("bona", APPROVE)),
    ("another group", _post("kadis", APPROVE)),
    ("the applicant", _post("andi", APPROVE)),
    ("unknown task", lambda c, p, t: c.post(COMPLETE.format("nope"), headers=p.headers("vera"), json=APPROVE)),
    ("an unknown field", _post("vera", {**APPROVE, "priority": 1})),
    ("data not an object", _post("vera", {"data": ["ktp"], "decision": "Setujui"})),
    ("a negative revision", _post("vera", {**APPROVE, "expected_revision": -1})),
    ("a decision too long", _post("vera", {"data": {}, "decision": "x" * 201})),
    ("a NUL in the data", _post("vera", {"data": {"note": "a\u0000b"}, "decision": "Tolak"})),
    ("NaN", _raw("vera", b'{"data": {"note": NaN}, "decision": "Tolak"}')),
    ("an integer too large to keep", _raw("vera", b'{"data": {"n": 18446744073709551615}, "decision": "Tolak"}')),
    ("broken JSON", _raw("vera", b'{"data": ')),
    ("not an object", _raw("vera", b'["Setujui"]')),
    ("not JSON", _raw("vera", b"decision=Setujui", "text/plain")),
    ("empty body", lambda c, p, t: c.post(COMPLETE.format(t), headers=p.headers("vera"))),
    ("a bad token", lambda c, p, t: c.post(COMPLETE.format(t), headers={"Authorization": "Bearer nope"},
                                           json=APPROVE)),
    ("Basic credentials", lambda c, p, t: c.post(COMPLETE.format(t), headers={"Authorization": "Basic eDp5"},
                                                 json=APPROVE)),
    ("no credentials", lambda c, p, t: c.post(COMPLETE.format(t), json=APPROVE)),
    ("a GET", lambda c, p, t: c.get(COMPLETE.format(t), headers=p.headers("vera"))),
]


@pytest.mark.parametrize("name,call", CASES, ids=[case[0] for case in CASES])
def test_the_completion_path_answers_as_flask_does(client, people, flask_only, name, call):
    answers = []
    for on in (True, False):
        flask_only(on)
        created = apply(client, people.headers("andi"))
        answers.append(_answer(call(client, people, created["tasks"][0]["id"]), created))
    assert answers[0] == answers[1]


def test_the_plain_completion_never_reaches_flask(app, client, people, db, monkeypatch):
    (task,) = apply(client, people.headers("andi"))["tasks"]
    vera = people.headers("vera")
    monkeypatch.setitem(app.view_functions, "tasks.complete", lambda task_id: pytest.fail("Flask answered"))
    done = client.post(COMPLETE.format(task["id"]), headers={**vera, "X-Request-ID": "officer-0001"}, json=APPROVE)
    assert (done.status_code, done.headers["X-Request-ID"]) == (200, "officer-0001")
    assert done.headers["X-Content-Type-Options"] == "nosniff" and "default-src" in done.headers[
        "Content-Security-Policy"]
    assert done.headers["Content-Length"] == str(len(done.get_data()))
    (signing,) = done.json["tasks"]
    assert (done.json["application"]["status"], signing["element_id"]) == ("running", "Task_Sign")
    with db.factory() as session:
        closed = session.get(Task, task["id"])
        assert (closed.state, closed.completed_by, closed.decision) == ("completed", "vera", "Setujui")
        (event,) = session.scalars(select(Event).where(Event.kind == "task_completed",
                                                       Event.task_id == task["id"])).all()
        assert event.data["request_id"] == "officer-0001"
    monkeypatch.undo()
    again = client.post(COMPLETE.format(task["id"]), headers=vera, json=APPROVE)
    assert again.status_code == 409  # done: exactly once


def test_its_answers_are_counted_and_logged_like_flasks(client, people, caplog):
    (task,) = apply(client, people.headers("andi"))["tasks"]
    caplog.set_level("INFO", logger="lincah.http")
    before = answered(client, "POST", tasks_hot_path.COMPLETION.rule, 200)
    client.post(COMPLETE.format(task["id"]), headers=people.headers("vera"), json=APPROVE)
    path = COMPLETE.format(task["id"])
    assert any(record.getMessage().startswith(f"POST {path} 200 ") for record in caplog.records)
    assert answered(client, "POST", tasks_hot_path.COMPLETION.rule, 200) == before + 1


def test_an_unavailable_database_is_flasks_503_and_changes_nothing(client, people, db, monkeypatch):
    (task,) = apply(client, people.headers("andi"))["tasks"]
    vera = people.headers("vera")

    def down(*args, **kwargs):
        raise OperationalError("UPDATE instance", {}, Exception("server closed the connection unexpectedly"))
    monkeypatch.setattr(use_cases, "complete_task", down)
    answer = client.post(COMPLETE.format(task["id"]), headers=vera, json=APPROVE)
    assert (answer.status_code, answer.headers["Retry-After"]) == (503, "5")
    monkeypatch.undo()
    with db.factory() as session:
        assert session.get(Task, task["id"]).state == "ready"
    assert client.post(COMPLETE.format(task["id"]), headers=vera, json=APPROVE).status_code == 200  # tried again


def test_a_bug_is_flasks_logged_500_with_a_reference(client, people, monkeypatch, caplog):
    (task,) = apply(client, people.headers("andi"))["tasks"]
    monkeypatch.setattr(use_cases, "complete_task", lambda *a, **k: {}["no such key"])
    answer = client.post(COMPLETE.format(task["id"]), headers={**people.headers("vera"), "X-Request-ID": "bug-2"},
                         json=APPROVE)
    assert answer.status_code == 500 and answer.headers["X-Request-ID"] == "bug-2"
    reference = answer.json["error"]["details"]["reference"]
    (logged,) = [record for record in caplog.records if reference in record.getMessage()]
    assert logged.exc_info and "no such key" in str(logged.exc_info[1])


def _round_trips(engine, action) -> int:
    """How many times ``action`` waited for PostgreSQL on the connections it checked out: the server's
    ReadyForQuery messages in libpq's trace."""
    traces = []

    def trace(dbapi_connection, _record, _proxy) -> None:
        traces.append(file := tempfile.TemporaryFile("w+"))
        dbapi_connection.pgconn.trace(file.fileno())
        dbapi_connection.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)

    def untrace(dbapi_connection, _record) -> None:
        dbapi_connection.pgconn.untrace()

    event.listen(engine, "checkout", trace)
    event.listen(engine, "checkin", untrace)
    try:
        action()
    finally:
        event.remove(engine, "checkout", trace)
        event.remove(engine, "checkin", untrace)
    count = 0
    for file in traces:
        file.seek(0)
        count += sum(1 for line in file if "\tReadyForQuery" in line and line.split("\t")[0] == "B")
        file.close()
    return count


def test_the_token_and_the_task_are_read_once_and_together(client, people, db, flask_only, monkeypatch):
    """The hot path reads the task with the token (one round trip on PostgreSQL) and the step finds it attached:
    it is not read a second time."""
    vera = people.headers("vera")
    first, second = (apply(client, people.headers("andi"))["tasks"][0]["id"] for _ in range(2))
    # A process reads a definition's settings once, at its first step (engine.storage.definition_rows): an officer
    # opening the task does here. The round trips counted below are those of every later step.
    assert client.get(f"/api/v1/tasks/{first}", headers=vera).status_code == 200
    answers = {}

    def complete_first() -> None:
        answers["hot"] = client.post(COMPLETE.format(first), headers=vera, json=APPROVE)

    def complete_second() -> None:
        flask_only(False)
        answers["flask"] = client.post(COMPLETE.format(second), headers=vera, json=APPROVE)
        flask_only(True)

    monkeypatch.setattr(tasks, "_load", lambda *a: pytest.fail("the task was read again"))
    if db.backend == "postgresql":
        hot = _round_trips(db.engine, complete_first)
        monkeypatch.undo()  # Flask's view reads the task on its own
        assert (hot, _round_trips(db.engine, complete_second)) == (4, 5)  # BEGIN, reads, the step's writes, COMMIT
    else:
        complete_first()
        monkeypatch.undo()
        complete_second()
    assert (answers["hot"].status_code, answers["flask"].status_code) == (200, 200)
