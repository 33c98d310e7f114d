"""The bank refuses to issue the fishery permit's bill: a refusal (4xx) is not sent again by itself but becomes a
refused bill on the application — the bank's reason for the office, a plain word for the applicant, the
supervisor told — and an incident a person retries with a new request; a bank that is down (5xx) is retried with
back-off and refuses nothing."""

from __future__ import annotations

from datetime import timedelta

from engine.casework import bills
from engine.storage.models import Event, ExternalTask, Notification
from scheduler import jobs
from tests.api import test_fishery_business_permit as permit
from tests.api.test_fishery_business_permit import Office
from tests.web.conftest import Visitor, page

live_office = permit.office  # the live Lincah with the fake bank, under a name of its own in this module

REASON = "Payer NIK 7307010101010002 is blocked by the bank (customer due diligence pending)"


def _approved(office: Office) -> int:
    applied = office.apply()
    assert office.work_nik_checks() == 1
    office.decide(applied["id"], "Task_Verify", "sinta", {"note": "Data usaha sesuai"}, "Setujui")
    return applied["id"]


def _kinds(office: Office, application_id: int, kind: str) -> list[Event]:
    with office.db.transaction() as session:
        rows = session.query(Event).filter_by(instance_id=application_id, kind=kind).order_by(Event.id).all()
        for row in rows:
            session.expunge(row)
        return rows


def _connector_task(office: Office, application_id: int) -> ExternalTask:
    with office.db.transaction() as session:
        (row,) = session.query(ExternalTask).filter_by(instance_id=application_id,
                                                      element_id="Task_RequestBill").all()
        session.expunge(row)
        return row


def _bill_section(app, who: str, application_id: int):
    visitor = Visitor(app.test_client())
    visitor.sign_in(who)
    response = visitor.get(f"/applications/{application_id}")
    assert response.status_code == 200
    (section,) = page(response).find_class("bill")
    return section


def _text(element) -> str:
    return " ".join(element.text_content().split())


def test_a_refused_bill_is_recorded_shown_told_and_retried_by_a_person(live_office, app, clock):
    office = live_office
    office.people.headers("supri")  # the office's supervisor has an account (the API tests make them on first use)
    application_id = _approved(office)
    office.gateway.refuse(422, REASON)
    report = jobs.run_connectors(office.db.factory, office.ctx, office.connector)
    assert (report.completed, report.retrying, report.incidents) == (0, 0, 1)  # no automatic retry of a refusal
    assert office.gateway.bills == {}

    row = _connector_task(office, application_id)
    assert row.state == "incident"
    assert f"refused the request of step 'Task_RequestBill' with HTTP 422: {REASON}" in row.error_message
    assert office.instance(application_id).status == "error"
    (refused,) = _kinds(office, application_id, "bill_refused")
    assert (refused.element_id, refused.data["status"], refused.data["reason"]) == ("Task_RequestBill", 422, REASON)
    assert permit.TOKEN not in str(refused.data) and permit.TOKEN not in (row.error_details or "")

    # The supervisor of the office hears of it, with the bank's reason and what to do.
    with office.db.transaction() as session:
        told = session.query(Notification).filter_by(kind="bill_refused").all()
        assert [(n.recipient, n.instance_id) for n in told] == [("supri", application_id)]
        assert REASON in told[0].body and "retry the step" in told[0].body
        # … once: not a second, vaguer "application stopped" notice for the same incident.
        assert session.query(Notification).filter_by(kind="application_stopped", instance_id=application_id
                                                     ).count() == 0

    # The office reads the bank's reason and what to do; the applicant a plain word, not the bank's internals.
    staff = _bill_section(app, "supri", application_id)
    assert "bill-declined" in staff.get("class") or staff.find_class("bill-declined")
    assert REASON in _text(staff) and staff.find_class("bill-account") == []
    applicant = _bill_section(app, "andi", application_id)
    assert REASON not in _text(applicant) and "HTTP" not in _text(applicant)
    assert _text(applicant.find_class("bill-status")[0]) == "Belum terbit: bank menolak permintaan tagihan"
    assert office.detail(application_id)["bill"] == {"amount": 300000, "account": "", "deadline": None,
                                                     "status": "declined", "paid_amount": None}

    # Time passing sends nothing: only a person retries a refusal.
    clock.advance(timedelta(hours=6))
    assert jobs.run_connectors(office.db.factory, office.ctx, office.connector).completed == 0

    office.gateway.accept()  # the bank cleared the payer
    status, retried = office.api("POST", f"/applications/{application_id}/incidents/{row.id}/retry", "supri",
                                 {"note": "Bank sudah membuka blokir NIK pemohon"})
    assert status == 200, retried
    assert office.detail(application_id, "supri")["bill"]["status"] == "requested"
    assert jobs.run_connectors(office.db.factory, office.ctx, office.connector).completed == 1  # a new request
    (issued,) = office.gateway.bills.values()
    bill = office.detail(application_id)["bill"]
    assert (bill["status"], bill["account"]) == ("waiting", issued["virtual_account"])
    assert office.instance(application_id).status == "running"
    with office.db.transaction() as session:
        assert session.query(Notification).filter_by(kind="bill_issued", recipient="andi").count() == 1


def test_a_bank_that_is_down_is_retried_with_back_off_and_refuses_no_bill(live_office, clock):
    office = live_office
    application_id = _approved(office)
    office.gateway.refuse(503, "maintenance window")
    report = jobs.run_connectors(office.db.factory, office.ctx, office.connector)
    assert (report.retrying, report.incidents) == (1, 0)
    assert _connector_task(office, application_id).state == "open"
    assert _kinds(office, application_id, "bill_refused") == []
    assert office.instance(application_id).status == "running"
    assert office.detail(application_id)["bill"] is None
    office.gateway.accept()
    assert jobs.run_connectors(office.db.factory, office.ctx, office.connector).completed == 0  # backing off
    clock.advance(timedelta(minutes=5))
    assert jobs.run_connectors(office.db.factory, office.ctx, office.connector).completed == 1
    assert office.detail(application_id)["bill"]["status"] == "waiting"


def test_the_banks_reason_is_read_from_what_it_answers():
    assert bills.reason_of({"error": {"code": "E42", "message": " Account\n suspended "}}, "") == "Account suspended"
    assert bills.reason_of({"status": "failed", "reason": "amount too small"}, "") == "amount too small"
    assert bills.reason_of("Forbidden", "Forbidden") == "Forbidden"
    assert bills.reason_of({"code": 7}, '{"code": 7}') == '{"code": 7}'
    assert bills.reason_of("", "") == "-"
