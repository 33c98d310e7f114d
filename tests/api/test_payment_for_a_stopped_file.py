"""The bank's payment message for a fishery file stopped on a refused bill (nothing waits for a payment there) is
answered as any message nobody waits for, logged for the administrators, and noted on the file's history, so
the office learns the money came although the bill was never issued (issue 16)."""

from __future__ import annotations

from scheduler import jobs
from tests.api import test_fishery_business_permit as permit
from tests.api.test_fishery_bill_refused import _approved, _kinds

live_office = permit.office  # the live Lincah with the fake bank, under a name of its own in this module


def test_a_payment_for_a_file_stopped_on_a_refused_bill_is_noted_on_its_history(live_office, app):
    office = live_office
    office.people.headers("supri")
    application_id = _approved(office)
    office.gateway.refuse(422, "Payer blocked")
    assert jobs.run_connectors(office.db.factory, office.ctx, office.connector).incidents == 1
    assert office.instance(application_id).status == "error"
    number = office.instance(application_id).registration_no

    status, answer = office.pay(number, 300000)
    assert (status, answer["type"]) == (400, "RestException")  # Camunda's mismatch, as before
    assert answer["message"] == ("Cannot correlate message 'payment_received': No process definition or execution "
                                 f"matches the parameters (businessKey {number!r}).")
    (noted,) = _kinds(office, application_id, "message_not_waiting")
    assert (noted.actor, noted.data["client"], noted.data["name"], noted.data["status"]) == (
        "client:bank", "bank", "payment_received", "error")
    assert noted.data["variables"] == ["paid_amount", "paid_at", "payment_ref"] and "300000" not in str(noted.data)
    assert office.instance(application_id).status == "error"  # nothing moved

    status, logged = office.api("GET", "/admin/integration-refusals?kind=message_unmatched", "admin")
    assert status == 200 and logged["total"] == 1
    assert logged["items"][0]["business_key"] == number and logged["items"][0]["application_id"] is None
