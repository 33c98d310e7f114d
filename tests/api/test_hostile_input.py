"""What a hostile or clumsy client sends gets a 4xx naming what is wrong and where, and changes nothing.

A JSON body the engine could not store exactly (too deep, a number out of range, NaN, a lone surrogate, a NUL
anywhere) is refused before any view runs, with the field's path; it used to be a 500 from deep inside the step,
or was stored as something else.
"""

from __future__ import annotations

import io
import json
import threading

import orjson
import pytest
from sqlalchemy.exc import OperationalError

from api import create_app
from engine.storage.models import Event, Instance, ServiceDefinition, Task
from tests.api.conftest import apply, research_data
from tests.api.test_definitions import DIAGRAM, REVIEW_FORM

pytestmark = pytest.mark.usefixtures("deployed")


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"} and body["error"]["message"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body["error"]


def _nested(depth: int, leaf=1):
    for _ in range(depth):
        leaf = {"a": leaf}
    return leaf


def _post(client, path: str, headers: dict, text: str):
    return client.post(path, headers=headers, data=text.encode("utf-8"), content_type="application/json")


def _state(db, application_id: int) -> tuple:
    with db.transaction() as session:
        instance = session.get(Instance, application_id)
        tasks = sorted((t.id, t.state) for t in session.query(Task).filter_by(instance_id=application_id))
        return instance.revision, instance.state, tasks, session.query(Event).count()


# (what the field holds as JSON text, the words the message must contain)
UNSTORABLE = {
    "a 30-digit integer": ("1" + "0" * 30, "whole number"),
    "2**63": (str(2**63), "whole number"),
    "5000 digits": ("9" * 5000, "whole number"),
    "NaN": ("NaN", "NaN"),
    "-Infinity": ("-Infinity", "NaN"),
    "1e400": ("1e400", "too large"),
    "a lone surrogate": ('"abc \\ud800 def"', "surrogate"),
    "NUL deep down": (json.dumps({"b": [{"c": "x\x00y"}]}), "NUL"),
}


@pytest.mark.parametrize("case", UNSTORABLE, ids=list(UNSTORABLE))
def test_a_completion_with_a_value_that_cannot_be_stored_is_422_naming_the_field_and_changes_nothing(
        client, people, db, case):
    value, words = UNSTORABLE[case]
    created = apply(client, people.headers("andi"))
    (task,) = created["tasks"]
    before = _state(db, created["id"])
    response = _post(client, f"/api/v1/tasks/{task['id']}/complete", people.headers("vera"),
                     f'{{"data": {{"note": "cek", "extra": {value}}}, "decision": "Kembalikan untuk perbaikan"}}')
    error = _error(response, 422)
    field = "data.extra.b.0.c" if case == "NUL deep down" else "data.extra"
    assert list(error["details"]) == [field] and words in error["details"][field]
    assert field in error["message"]
    assert _state(db, created["id"]) == before


def test_an_application_with_a_huge_number_is_422_naming_the_field_not_a_500(client, people, db):
    andi = people.headers("andi")
    data = research_data(client, andi)
    text = json.dumps({"service": "research_permit", "data": data})[:-2] + ', "budget": ' + "1" * 40 + "}}"
    error = _error(_post(client, "/api/v1/applications", andi, text), 422)
    assert "data.budget" in error["details"] and "whole number" in error["details"]["data.budget"]
    with db.transaction() as session:
        assert session.query(Instance).count() == 0


def test_a_value_nested_deeper_than_the_engine_keeps_is_422_at_its_path(client, people, db):
    created = apply(client, people.headers("andi"))
    (task,) = created["tasks"]
    before = _state(db, created["id"])
    response = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=people.headers("vera"),
                           json={"data": {"note": "cek", "extra": _nested(300)},
                                 "decision": "Kembalikan untuk perbaikan"})
    error = _error(response, 422)
    (field,) = error["details"]
    assert field.startswith("data.extra.a.a") and "nested too deeply" in error["details"][field]
    assert _state(db, created["id"]) == before


@pytest.mark.parametrize("text", ["[" * 100_000, '{"data": ' + '{"a": ' * 5000 + "1" + "}" * 5001])
def test_json_nested_past_what_the_parser_takes_is_400_not_a_500(client, people, text):
    error = _error(_post(client, "/api/v1/applications", people.headers("andi"), text), 400)
    assert error["code"] == "bad_request" and "nested too deeply" in error["details"]["(form)"]


@pytest.mark.parametrize("field", ["username", "password"])
def test_sign_in_with_a_lone_surrogate_is_422_naming_the_field(client, field):
    body = {"username": "admin", "password": "x"}
    text = json.dumps(body).replace(f'"{body[field]}"', '"\\udfff"')
    error = _error(_post(client, "/api/v1/auth/token", {}, text), 422)
    assert list(error["details"]) == [field] and "Unicode" in error["details"][field]


def test_a_field_name_that_is_not_valid_unicode_is_named_by_its_object(client, people):
    text = '{"username": "baru", "password": "rahasia-panjang-1", "roles": ["officer"], "\\ud800": 1}'
    error = _error(_post(client, "/api/v1/users", people.headers("admin"), text), 422)
    assert error["details"] == {"(form)": "A field name must be valid Unicode: a \\ud800–\\udfff escape must be "
                                          "half of a surrogate pair."}


def test_malformed_json_says_where_it_breaks(client, people):
    error = _error(_post(client, "/api/v1/applications", people.headers("andi"), '{"service": "x",\n "data": }'),
                   400)
    assert error["details"]["(form)"].startswith("Invalid JSON body:") and "line 2" in error["details"]["(form)"]


def test_an_applicant_cannot_slip_process_variables_into_the_start_form(client, people, db):
    """A rejected file used to come with a permit letter: the start form took "issued" and a permit number of the
    applicant's own as process data, and the letter is issued when the data says so."""
    andi = people.headers("andi")
    data = research_data(client, andi, issued=True, permit_number="503/99999/IP/PALSU")
    error = _error(client.post("/api/v1/applications", headers=andi, json={"service": "research_permit",
                                                                             "data": data}), 422)
    assert error["details"] == {"issued": "This form has no such field; leave it out.",
                                "permit_number": "This form has no such field; leave it out."}
    with db.transaction() as session:
        assert session.query(Instance).count() == 0


def test_a_task_form_refuses_fields_it_does_not_declare_and_keeps_the_task_open(client, people, db):
    created = apply(client, people.headers("andi"))
    (task,) = created["tasks"]
    before = _state(db, created["id"])
    response = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=people.headers("vera"),
                           json={"data": {"note": "ok", "application": {"seq": 1}, "issued": True},
                                 "decision": "Setujui"})
    error = _error(response, 422)
    assert set(error["details"]) == {"application", "issued"} and "application" in error["message"]
    assert _state(db, created["id"]) == before


@pytest.mark.parametrize("text", ["[]", '"text"', "42", "null", "true", '[{"username": "admin"}]'])
def test_a_body_that_is_json_but_not_an_object_says_to_send_an_object(client, people, text):
    error = _error(_post(client, "/api/v1/users", people.headers("admin"), text), 422)
    assert list(error["details"]) == ["(form)"] and "JSON object" in error["details"]["(form)"]


def test_a_form_whose_reference_points_outside_it_does_not_deploy(client, people, db):
    """It used to deploy, and then every application of the service was a 500 (the reference is resolved only
    when a submission reaches it)."""
    form = {"type": "object", "properties": {"nama": {"$ref": "http://127.0.0.1:9/nama.json"}}}
    files = {"bpmn": [(io.BytesIO(DIAGRAM.encode()), "izin_uji.bpmn")],
             "forms": [(io.BytesIO(orjson.dumps(form)), "uji/apply.json"),
                       (io.BytesIO(orjson.dumps(REVIEW_FORM)), "review.json")]}
    response = client.post("/api/v1/definitions?publish=true", headers=people.headers("analis"), data=files,
                           content_type="multipart/form-data")
    error = _error(response, 422)
    (problem,) = error["problems"]
    assert problem["element_id"] == "start" and "'http://127.0.0.1:9/nama.json'" in problem["message"]
    assert "#/$defs/" in problem["message"]
    with db.transaction() as session:
        assert session.query(ServiceDefinition).filter_by(key="izin_uji").count() == 0


def test_releasing_a_task_nobody_holds_is_a_no_op_not_a_403_about_none(client, people, db):
    """An officer of the task's group who released an unclaimed task read 'claimed by None; only they or a
    supervisor can release it'; a supervisor's release wrote a task_unclaimed event for nothing."""
    created = apply(client, people.headers("andi"))
    (task,) = created["tasks"]
    before = _state(db, created["id"])
    for who in ("vera", "supri"):
        response = client.post(f"/api/v1/tasks/{task['id']}/unclaim", headers=people.headers(who))
        assert response.status_code == 200, response.get_json()
        assert (response.get_json()["state"], response.get_json()["assignee"]) == ("ready", None)
    assert _state(db, created["id"]) == before


def test_a_long_value_refused_by_the_form_is_not_echoed_back_and_the_limit_is_named(client, people):
    andi = people.headers("andi")
    data = research_data(client, andi, research_title="x" * 1_000_000, location_detail=["y" * 100] * 1000)
    response = client.post("/api/v1/applications", headers=andi, json={"service": "research_permit", "data": data})
    error = _error(response, 422)
    assert len(response.data) < 2000
    assert error["details"]["research_title"].startswith("Use at most ") and "characters" in \
        error["details"]["research_title"]
    assert error["details"]["location_detail"] == "This value is not of type 'string'."


def _race(app, *calls) -> list[int]:
    barrier = threading.Barrier(len(calls))
    statuses: list = [None] * len(calls)

    def run(index, call):
        client = app.test_client()
        barrier.wait()
        statuses[index] = call(client).status_code

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def test_a_withdrawal_and_a_decision_at_the_same_moment_one_wins_one_gets_409(app, client, people, db):
    """On PostgreSQL they took their row locks in opposite orders and deadlocked: the loser read 503 'the database
    is busy or unreachable'. (The applicant may withdraw only before an officer decided: exactly one can win.)"""
    andi, vera = people.headers("andi"), people.headers("vera")
    body = {"data": {"note": "Dokumen kurang"}, "decision": "Kembalikan untuk perbaikan"}
    for _ in range(4):
        created = apply(client, andi)
        (task,) = created["tasks"]
        withdraw, decide = f"/api/v1/applications/{created['id']}/cancel", f"/api/v1/tasks/{task['id']}/complete"
        cancel, done = _race(app, lambda c, path=withdraw: c.post(path, headers=andi, json={"reason": "x"}),
                             lambda c, path=decide: c.post(path, headers=vera, json=body))
        assert sorted((cancel, done)) == [200, 409]
        with db.transaction() as session:
            instance = session.get(Instance, created["id"])
            verify = session.get(Task, task["id"])
            kinds = [e.kind for e in session.query(Event).filter_by(instance_id=created["id"])]
        if cancel == 200:
            assert (instance.status, verify.state) == ("cancelled", "cancelled") and "task_completed" not in kinds
        else:
            assert (instance.status, verify.state) == ("running", "completed") and "cancelled" not in kinds


@pytest.mark.parametrize("sqlstate", ["40P01", "40001"])
def test_a_race_the_database_settled_by_undoing_a_transaction_is_409_not_503(db, ctx, sqlstate):
    class DriverError(Exception):
        pass

    orig = DriverError("deadlock detected")
    orig.sqlstate = sqlstate
    app = create_app({"TESTING": True}, context=ctx, session_factory=db.factory)

    def lost():
        raise OperationalError("UPDATE instance ...", {}, orig)

    app.add_url_rule("/api/v1/lost-race", view_func=lost)
    error = _error(app.test_client().get("/api/v1/lost-race"), 409)
    assert error["code"] == "conflict" and "at the same moment" in error["message"]
