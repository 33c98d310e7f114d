"""A message refused before it reached any application (nothing waits for it, several do, its variables are not
what the receiver takes, the client may not send it) is recorded for the administrators and listed on the API
clients page — the client's answer is Camunda's as before, and the record keeps the names, not the values, of what
was sent. A refusal for one named application stays on that application only."""

from __future__ import annotations

import base64

import pytest

from engine.casework import applications
from engine.integration import clients
from engine.storage.models import Event, Instance
from tests.engine.conftest import APPLICANT, deploy  # noqa: F401 - the fixture
from tests.engine.test_messages import CATCH, FORMS
from tests.web.conftest import page

pytestmark = pytest.mark.usefixtures("people")


@pytest.fixture
def waiting(db, ctx, deploy):  # noqa: F811 - the imported fixture
    deploy(CATCH, FORMS)
    with db.transaction() as session:
        started = [applications.start(session, ctx, service="p", data={"nik": "1", "bill": f"B-{n}"}, actor=APPLICANT)
                   for n in (1, 2)]
        return [(instance.id, instance.registration_no) for instance in started]


def _headers(db, ctx, name: str, messages=("payment_received",)) -> dict:
    with db.transaction() as session:
        _, secret = clients.add(session, ctx, name, messages=list(messages), actor="admin")
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{secret}".encode()).decode()}


def _unmatched(db) -> list[dict]:
    with db.transaction() as session:
        return [dict(event.data, actor=event.actor, instance_id=event.instance_id)
                for event in session.query(Event).filter_by(kind="message_unmatched").order_by(Event.id)]


def _statuses(db, waiting) -> set[str]:
    with db.transaction() as session:
        return {session.get(Instance, instance_id).status for instance_id, _ in waiting}


def test_refusals_that_reached_no_application_are_recorded_and_shown_to_administrators(app, db, ctx, waiting,
                                                                                      visitor):
    bank = _headers(db, ctx, "bank")
    api = app.test_client()
    nobody = api.post("/engine-rest/message", headers=bank, json={
        "messageName": "payment_received", "correlationKeys": {"bill": {"value": "B-9", "type": "String"}},
        "processVariables": {"amount": {"value": 150000, "type": "Long"}}})
    both = api.post("/engine-rest/message", headers=bank, json={"messageName": "payment_received"})
    undeclared = api.post("/engine-rest/message", headers=bank, json={
        "messageName": "payment_received", "correlationKeys": {"bill": {"value": "B-1"}},
        "processVariables": {"is_admin": {"value": "rahasia-77", "type": "String"}}})
    # The client's answers are Camunda's, as before; nothing moved.
    assert [(r.status_code, r.json["type"]) for r in (nobody, both, undeclared)] == [
        (400, "RestException"), (400, "RestException"), (400, "InvalidRequestException")]
    assert list(undeclared.json["details"]) == ["is_admin"]
    assert _statuses(db, waiting) == {"running"}

    first, second, third = _unmatched(db)
    assert (first["client"], first["actor"], first["name"], first["instance_id"]) == (
        "bank", "client:bank", "payment_received", None)
    assert first["correlation_keys"] == {"bill": "B-9"} and first["variables"] == ["amount"]
    assert "No process definition or execution matches" in first["reason"]
    assert "2 executions match" in second["reason"] and second["correlation_keys"] == {}
    assert third["correlation_keys"] == {"bill": "B-1"} and list(third["problems"]) == ["is_admin"]
    assert "rahasia-77" not in str(third) and "150000" not in str(first)  # names of variables, never their values

    listed = visitor("admin").english().get("/admin/clients")
    rows = [" ".join(row.text_content().split()) for row in page(listed).cssselect("tr.unmatched-message")]
    assert len(rows) == 3
    assert rows[0].split(" bank payment_received ")[1].startswith("bill = B-1 is_admin")  # newest first
    assert "bill = B-9 amount Cannot correlate message 'payment_received'" in rows[2]
    assert visitor("vera").get("/admin/clients").status_code == 403  # an officer sees none of it


def test_a_refusal_for_a_named_application_stays_on_it_and_a_forbidden_message_is_logged(app, db, ctx, waiting):
    (first, number), _ = waiting
    api = app.test_client()
    named = api.post("/engine-rest/message", headers=_headers(db, ctx, "bank"), json={
        "messageName": "payment_received", "businessKey": number,
        "processVariables": {"is_admin": {"value": True, "type": "Boolean"}}})
    assert named.status_code == 400
    with db.transaction() as session:
        (refused,) = session.query(Event).filter_by(kind="message_refused").all()
        assert refused.instance_id == first
    assert _unmatched(db) == []  # recorded once, where the office looks

    post = _headers(db, ctx, "post", messages=("letter_signed",))
    forbidden = api.post("/engine-rest/message", headers=post,
                         json={"messageName": "payment_received", "businessKey": number})
    assert (forbidden.status_code, forbidden.json["type"]) == (403, "AuthorizationException")
    (logged,) = _unmatched(db)
    assert (logged["client"], logged["name"], logged["business_key"]) == ("post", "payment_received", number)
    assert "may not correlate the message 'payment_received'" in logged["reason"]
    assert _statuses(db, waiting) == {"running"}
