"""Refusals from outside that reached no application are logged for the administrators — refused signals, request
bodies that are not JSON objects, deliveries that lost their race to another step (those on the application too) —
a payment naming a file that waits for nothing of the kind is noted on that file's history, and the log is an
admin API (issue 16). The clients' answers are Camunda's, exactly as before."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from sqlalchemy import update

from api.unit_of_work import session as request_session
from engine.casework import applications, waiting
from engine.storage.models import Event, Instance
from tests.engine.conftest import APPLICANT, deploy  # noqa: F401 - the fixture
from tests.engine.test_messages import CATCH, FORMS, RECEIVE, SIGNALLED

LOGGED = ("message_unmatched", "signal_refused", "delivery_lost")


@pytest.fixture
def files(db, ctx, deploy):  # noqa: F811 - the imported fixture
    """Two files waiting for payment_received (bills B-1, B-2), one for the tariff_changed signal, one waiting for
    a signed letter only."""
    deploy(CATCH, FORMS)
    deploy(SIGNALLED, FORMS, name="t.bpmn")
    deploy(RECEIVE, FORMS, name="q.bpmn")
    with db.transaction() as session:
        started = [applications.start(session, ctx, service="p", data={"nik": "1", "bill": f"B-{n}"}, actor=APPLICANT)
                   for n in (1, 2)]
        started.append(applications.start(session, ctx, service="t", data={"nik": "1"}, actor=APPLICANT))
        started.append(applications.start(session, ctx, service="q", data={"nik": "1"}, actor=APPLICANT))
        return [(instance.id, instance.registration_no) for instance in started]


def _client(client, people, name="bank", messages=("payment_received", "tariff_changed"), offices=()) -> dict:
    answer = client.post("/api/v1/clients", json={"name": name, "messages": list(messages),
                                                  "jurisdictions": list(offices)},
                         headers=people.headers("admin"))
    assert answer.status_code == 201, answer.json
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{answer.json['secret']}".encode()).decode()}


def _events(db, *kinds: str) -> list[Event]:
    with db.transaction() as session:
        rows = session.query(Event).filter(Event.kind.in_(kinds)).order_by(Event.id).all()
        session.expunge_all()
        return rows


def _state(db, instance_id: int) -> tuple[str, int]:
    with db.transaction() as session:
        instance = session.get(Instance, instance_id)
        return instance.status, instance.revision


def test_refused_signals_are_logged_with_variable_names_only_and_answered_as_before(client, people, db, files):
    bank = _client(client, people)
    post = _client(client, people, name="post", messages=("letter_signed",))
    signalled = files[2][0]
    not_granted = client.post("/engine-rest/signal", headers=post, json={
        "name": "tariff_changed", "variables": {"tariff": {"value": 125000, "type": "Long"}}})
    bad_variable = client.post("/engine-rest/signal", headers=bank, json={
        "name": "tariff_changed", "variables": {"tariff": {"value": "rahasia-77", "type": "Long"}}})
    no_name = client.post("/engine-rest/signal", headers=bank, json={"variables": {}})
    not_an_object = client.post("/engine-rest/signal", headers=bank, data="[1, 2]",
                                content_type="application/json")
    assert [(r.status_code, r.json["type"]) for r in (not_granted, bad_variable, no_name, not_an_object)] == [
        (403, "AuthorizationException"), (400, "InvalidRequestException"), (400, "InvalidRequestException"),
        (400, "InvalidRequestException")]
    assert list(bad_variable.json["details"]) == ["tariff"]
    assert not_an_object.json["message"] == "The body must be a JSON object."
    assert _state(db, signalled)[0] == "running"  # nothing moved

    first, second, third, fourth = (event.data for event in _events(db, *LOGGED))
    assert {e.kind for e in _events(db, *LOGGED)} == {"signal_refused"}
    assert (first["client"], first["name"], first["variables"]) == ("post", "tariff_changed", ["tariff"])
    assert "may not send the signal 'tariff_changed'" in first["reason"]
    assert (second["client"], list(second["problems"]), second["variables"]) == ("bank", ["tariff"], ["tariff"])
    assert "rahasia-77" not in str(second) and "125000" not in str(first)  # names, never values
    assert third["name"] is None and "name is required" in third["reason"]
    assert (fourth["name"], fourth["reason"]) == (None, "The body must be a JSON object.")

    # Without good credentials nobody is named: the same 400, nothing logged.
    anonymous = client.post("/engine-rest/signal", data="[]", content_type="application/json")
    assert (anonymous.status_code, anonymous.json["type"]) == (400, "InvalidRequestException")
    assert len(_events(db, *LOGGED)) == 4
    granted = client.post("/engine-rest/signal", headers=bank, json={"name": "tariff_changed"})
    assert granted.status_code == 204 and _state(db, signalled)[0] == "completed"
    assert len(_events(db, *LOGGED)) == 4


def test_a_message_body_that_is_not_an_object_is_logged(client, people, db, files):
    answer = client.post("/engine-rest/message", headers=_client(client, people), data='"payment_received"',
                         content_type="application/json")
    assert (answer.status_code, answer.json) == (400, {"type": "InvalidRequestException",
                                                       "message": "The body must be a JSON object."})
    (logged,) = _events(db, *LOGGED)
    assert (logged.kind, logged.data["client"], logged.data["name"]) == ("message_unmatched", "bank", None)


def _taken_by_another_step(monkeypatch, *, after: int = 0):
    """From the ``after``-th delivery on, the step finds the wait gone, as when another step of the application took
    it between the lookup and the step."""
    found, calls = waiting.find, []

    def find(workflow, kind, name, task_id=None):
        calls.append(name)
        return [] if len(calls) > after else found(workflow, kind, name, task_id)

    monkeypatch.setattr(waiting, "find", find)


def test_a_delivery_that_lost_its_race_is_recorded_on_the_application_and_answered_as_before(
        client, people, db, files, monkeypatch):
    (first, number), (second, _), *_ = files
    bank = _client(client, people)
    before = _state(db, first)
    _taken_by_another_step(monkeypatch)
    answer = client.post("/engine-rest/message", headers=bank, json={
        "messageName": "payment_received", "businessKey": number,
        "processVariables": {"amount": {"value": 150000, "type": "Long"}}})
    assert (answer.status_code, answer.json) == (400, {
        "type": "RestException", "message": f"Application {number} no longer waits for the message "
                                            "'payment_received'."})
    assert _state(db, first) == before and _events(db, "message_correlated") == []
    (lost,) = _events(db, *LOGGED)
    assert (lost.kind, lost.instance_id, lost.element_id, lost.actor) == ("delivery_lost", first, "paid", "client:bank")
    assert (lost.data["event"], lost.data["name"], lost.data["business_key"]) == ("message", "payment_received", number)
    assert lost.data["registration_no"] == number and lost.data["variables"] == ["amount"]
    assert "150000" not in str(lost.data)


def test_with_all_a_lost_delivery_undoes_the_ones_before_it(client, people, db, files, monkeypatch):
    (first, _), (second, _), *_ = files
    _taken_by_another_step(monkeypatch, after=1)  # the first file takes the message, the second lost its wait
    answer = client.post("/engine-rest/message", headers=_client(client, people),
                         json={"messageName": "payment_received", "all": True})
    assert (answer.status_code, answer.json["type"]) == (400, "RestException")
    assert {_state(db, first)[0], _state(db, second)[0]} == {"running"}  # one request, one transaction: nothing
    assert _events(db, "message_correlated") == []
    (lost,) = _events(db, *LOGGED)
    assert lost.kind == "delivery_lost" and lost.instance_id in (first, second)


def test_a_delivery_beaten_by_another_steps_save_is_camundas_optimistic_locking_answer_and_recorded(
        client, people, db, files, monkeypatch):
    (first, number), *_ = files
    before = _state(db, first)
    deliver = waiting.deliver

    def deliver_while_another_step_saves(ctx, target, values):
        deliver(ctx, target, values)
        # Another transaction's step saved first: the row's revision moved on under the loaded application.
        request_session().execute(update(Instance).where(Instance.id == first)
                                  .values(revision=Instance.revision + 1)
                                  .execution_options(synchronize_session=False))

    monkeypatch.setattr(waiting, "deliver", deliver_while_another_step_saves)
    answer = client.post("/engine-rest/message", headers=_client(client, people),
                         json={"messageName": "payment_received", "businessKey": number})
    assert (answer.status_code, answer.json["type"]) == (500, "OptimisticLockingException")
    assert "changed by someone else at the same moment" in answer.json["message"]
    assert _state(db, first) == before  # the other step's stand-in was inside the savepoint too
    (lost,) = _events(db, *LOGGED)
    assert (lost.kind, lost.instance_id) == ("delivery_lost", first)
    assert "changed by someone else" in lost.data["reason"]


def test_a_signal_delivery_that_lost_its_race_is_recorded(client, people, db, files, monkeypatch):
    signalled = files[2][0]
    _taken_by_another_step(monkeypatch)
    answer = client.post("/engine-rest/signal", headers=_client(client, people), json={"name": "tariff_changed"})
    assert (answer.status_code, answer.json["type"]) == (400, "RestException")
    assert _state(db, signalled)[0] == "running"
    (lost,) = _events(db, *LOGGED)
    assert (lost.kind, lost.instance_id, lost.data["event"]) == ("delivery_lost", signalled, "signal")
    assert _events(db, "signal_sent") == []


def test_a_payment_for_a_running_file_not_waiting_for_it_is_noted_on_its_history(client, people, db, files):
    letter, number = files[3]
    answer = client.post("/engine-rest/message", headers=_client(client, people), json={
        "messageName": "payment_received", "businessKey": number,
        "processVariables": {"paid_amount": {"value": 150000, "type": "Long"}}})
    # The bank's answer is the plain mismatch: it does not learn the file exists.
    assert (answer.status_code, answer.json["type"]) == (400, "RestException")
    assert "No process definition or execution matches the parameters" in answer.json["message"]
    (logged,) = _events(db, *LOGGED)
    assert (logged.kind, logged.instance_id) == ("message_unmatched", None)  # the administrators' log as before
    (noted,) = _events(db, "message_not_waiting")
    assert (noted.instance_id, noted.actor, noted.data["name"], noted.data["variables"]) == (
        letter, "client:bank", "payment_received", ["paid_amount"])
    assert noted.data["status"] == "running" and "150000" not in str(noted.data)

    history = client.get(f"/api/v1/applications/{letter}", headers=people.headers("supri")).json["history"]
    assert [e["kind"] for e in history][-1] == "message_not_waiting"
    assert _state(db, letter)[0] == "running"

    # A client that does not serve the file's office leaves no note on it.
    bone = client.post("/engine-rest/message", headers=_client(client, people, name="bank_bone", offices=("bone",)),
                       json={"messageName": "payment_received", "businessKey": number})
    assert (bone.status_code, bone.json["message"]) == (400, answer.json["message"])
    assert len(_events(db, "message_not_waiting")) == 1


def test_a_payment_for_a_waiting_file_under_another_bill_is_noted_on_its_history(client, people, db, files):
    waiting_file, number = files[0]  # waits for payment_received of bill B-1
    bank = _client(client, people)
    answer = client.post("/engine-rest/message", headers=bank, json={
        "messageName": "payment_received", "businessKey": number,
        "correlationKeys": {"bill": {"value": "B-9", "type": "String"}},
        "processVariables": {"paid_amount": {"value": 150000, "type": "Long"}}})
    # The bank's answer is Camunda's plain mismatch, as before.
    assert (answer.status_code, answer.json["type"]) == (400, "RestException")
    assert "No process definition or execution matches the parameters" in answer.json["message"]
    (noted,) = _events(db, "message_keys_mismatch")
    assert (noted.instance_id, noted.actor, noted.data["name"]) == (waiting_file, "client:bank", "payment_received")
    assert (noted.data["keys"], noted.data["mismatched"]) == (["bill"], ["bill"])
    assert "B-9" not in str(noted.data) and "150000" not in str(noted.data)  # names only
    history = client.get(f"/api/v1/applications/{waiting_file}", headers=people.headers("supri")).json["history"]
    assert [e["kind"] for e in history][-1] == "message_keys_mismatch"
    assert _state(db, waiting_file)[0] == "running"

    # The right keys still pay, and a payment naming no waiting file leaves no such note.
    paid = client.post("/engine-rest/message", headers=bank, json={
        "messageName": "payment_received", "businessKey": number,
        "correlationKeys": {"bill": {"value": "B-1", "type": "String"}}})
    assert paid.status_code in (200, 204), paid.json
    client.post("/engine-rest/message", headers=bank, json={"messageName": "payment_received", "businessKey": "X-1",
                                                            "correlationKeys": {"bill": {"value": "B-9"}}})
    assert len(_events(db, "message_keys_mismatch")) == 1


def test_the_admin_log_over_the_api_pages_and_filters(client, people, db, ctx, files):
    bank, post = _client(client, people), _client(client, people, name="post", messages=("letter_signed",))
    url = "/api/v1/admin/integration-refusals"
    client.post("/engine-rest/message", headers=bank, json={"messageName": "payment_received", "businessKey": "X-1"})
    client.post("/engine-rest/signal", headers=post, json={"name": "tariff_changed"})
    ctx.clock.advance(timedelta(hours=1))
    later = ctx.now()
    client.post("/engine-rest/message", headers=bank, json={"messageName": "payment_received",
                                                            "processVariables": {"n": {"value": 1}}})
    admin = people.headers("admin")

    everything = client.get(url, headers=admin).json
    assert everything["total"] == 3 and (everything["offset"], everything["limit"]) == (0, 50)
    newest = everything["items"][0]
    assert (newest["kind"], newest["client"], newest["name"], newest["variables"]) == (
        "message_unmatched", "bank", "payment_received", ["n"])
    assert "2 executions match" in newest["reason"] and newest["event"] == "message"
    assert [item["kind"] for item in everything["items"]] == ["message_unmatched", "signal_refused",
                                                              "message_unmatched"]

    page = client.get(f"{url}?offset=1&limit=1", headers=admin).json
    assert page["total"] == 3 and [item["id"] for item in page["items"]] == [everything["items"][1]["id"]]
    assert client.get(f"{url}?client=bank", headers=admin).json["total"] == 2
    signals = client.get(f"{url}?kind=signal_refused", headers=admin).json
    assert signals["total"] == 1 and signals["items"][0]["client"] == "post"
    assert signals["items"][0]["event"] == "signal"
    since = client.get(url, query_string={"since": later.replace(tzinfo=None).isoformat()}, headers=admin).json
    assert [item["id"] for item in since["items"]] == [newest["id"]]  # a time without offset is UTC

    wrong = client.get(f"{url}?kind=payment&limit=0&since=yesterday", headers=admin)
    assert wrong.status_code == 422
    assert set(wrong.json["error"]["details"]) == {"kind", "limit", "since"}
    assert "signal_refused" in wrong.json["error"]["details"]["kind"]
    assert client.get(url, headers=people.headers("supri")).status_code == 403
    assert client.get(url).status_code == 401

    spec = client.get("/api/v1/openapi.json").json
    operation = spec["paths"][url]["get"]
    assert operation["security"] == [{"bearerAuth": []}]
    assert {"client", "kind", "since", "offset", "limit"} <= {p["name"] for p in operation["parameters"]}
