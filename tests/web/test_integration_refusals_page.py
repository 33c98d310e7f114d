"""The API clients page lists refused signals and lost deliveries beside the unmatched messages, and a payment for a
file that was not waiting for it shows on that file's history for its staff — in Indonesian by default — while the
applicant's page does not show it (issue 16)."""

from __future__ import annotations

import base64

import pytest

from engine.casework import applications, waiting
from engine.integration import clients
from tests.engine.conftest import APPLICANT, deploy  # noqa: F401 - the fixture
from tests.engine.test_messages import CATCH, FORMS, RECEIVE
from tests.web.conftest import page

pytestmark = pytest.mark.usefixtures("people")


@pytest.fixture
def files(db, ctx, deploy):  # noqa: F811 - the imported fixture
    deploy(CATCH, FORMS)
    deploy(RECEIVE, FORMS, name="q.bpmn")
    with db.transaction() as session:
        paying = applications.start(session, ctx, service="p", data={"nik": "1", "bill": "B-1"}, actor=APPLICANT)
        signing = applications.start(session, ctx, service="q", data={"nik": "1"}, actor=APPLICANT)
        return (paying.id, paying.registration_no), (signing.id, signing.registration_no)


def _bank(db, ctx) -> dict:
    with db.transaction() as session:
        _, secret = clients.add(session, ctx, "bank", messages=["payment_received", "tariff_changed"], actor="admin")
    return {"Authorization": "Basic " + base64.b64encode(f"bank:{secret}".encode()).decode()}


def test_the_clients_page_lists_refused_signals_and_lost_deliveries(app, db, ctx, files, visitor, monkeypatch):
    (_, number), _ = files
    bank, api = _bank(db, ctx), app.test_client()
    assert api.post("/engine-rest/signal", headers=bank, json={"name": "tariff_changed", "variables": {
        "tariff": {"value": "x", "type": "Long"}}}).status_code == 400
    monkeypatch.setattr(waiting, "find", lambda *args, **kwargs: [])  # another step took the wait meanwhile
    assert api.post("/engine-rest/message", headers=bank,
                    json={"messageName": "payment_received", "businessKey": number}).status_code == 400

    listed = visitor("admin").english().get("/admin/clients")
    rows = [" ".join(row.text_content().split()) for row in page(listed).cssselect("tr.unmatched-message")]
    assert len(rows) == 2
    assert f"bank payment_received (delivery lost to another step, application {number})" in rows[0]
    assert "bank tariff_changed (signal) – tariff Some variables are not acceptable: tariff." in rows[1]


def _noted_for_staff_only(app, db, ctx, visitor, instance_id: int, message: dict, applicant_must_not_see: str) -> str:
    """Send the bank's message (refused: 400), then the history row the file's staff see about it; the applicant's
    page of the file does not show it."""
    answer = app.test_client().post("/engine-rest/message", headers=_bank(db, ctx),
                                    json={"messageName": "payment_received", **message})
    assert answer.status_code == 400
    staff = page(visitor("supri").get(f"/applications/{instance_id}"))
    (noted,) = [" ".join(row.text_content().split()) for row in staff.cssselect("table.history tr")
                if "bank" in row.text_content()]
    applicant = visitor(APPLICANT.username).get(f"/applications/{instance_id}")
    assert applicant.status_code == 200 and applicant_must_not_see not in applicant.get_data(as_text=True)
    return noted


def test_a_payment_for_a_file_not_waiting_for_it_shows_on_its_history_for_staff(app, db, ctx, files, visitor):
    _, (signing, number) = files
    noted = _noted_for_staff_only(app, db, ctx, visitor, signing, {
        "businessKey": number, "processVariables": {"paid_amount": {"value": 150000, "type": "Long"}}},
        "tidak sedang menunggunya")
    assert "Pesan dari luar masuk, tetapi berkas tidak sedang menunggunya" in noted
    assert "bank: payment_received" in noted and "150000" not in noted


def test_a_payment_under_another_bill_shows_on_the_waiting_files_history_for_staff(app, db, ctx, files, visitor):
    (paying, number), _ = files
    noted = _noted_for_staff_only(app, db, ctx, visitor, paying, {
        "businessKey": number, "correlationKeys": {"bill": {"value": "B-7", "type": "String"}}},
        "kunci yang ditunggunya")
    assert "Pesan dari luar menyebut berkas ini, tetapi tidak dengan kunci yang ditunggunya" in noted
    assert "bank: payment_received · bill" in noted and "B-7" not in noted


def test_a_key_name_the_bank_sent_is_shown_escaped(app, db, ctx, files, visitor):
    (paying, number), _ = files
    answer = app.test_client().post("/engine-rest/message", headers=_bank(db, ctx), json={
        "messageName": "payment_received", "businessKey": number,
        "correlationKeys": {"<img src=x onerror=alert(1)>": {"value": "B-1", "type": "String"}}})
    assert answer.status_code == 400
    html = visitor("supri").get(f"/applications/{paying}").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img src=x" not in html
