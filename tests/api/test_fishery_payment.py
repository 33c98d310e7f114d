"""The bank's payment callback for the fishery business permit when something is off: a payment of the wrong
amount never sends the file to signing (Camunda's 400 naming ``paid_amount``, the file still waits, the refusal
in its history), and a payment arriving after the file closed is answered clearly and kept on the application
for the office to refund."""

from __future__ import annotations

import json
from datetime import timedelta

from engine.people import offices
from engine.storage.models import Event, Task
from scheduler import jobs
from tests.api import test_fishery_business_permit as permit
from tests.api.test_fishery_business_permit import Office, _approved_and_billed, _call
from tests.web.conftest import Visitor, page

live_office = permit.office  # the live Lincah with the fake bank, under a name of its own in this module


def _open_steps(office: Office, application_id: int) -> list[str]:
    with office.db.transaction() as session:
        return [t.element_id for t in session.query(Task).filter_by(instance_id=application_id, completed_at=None)]


def test_a_partial_payment_is_refused_naming_paid_amount_and_the_file_keeps_waiting(live_office):
    office = live_office
    application_id, bill = _approved_and_billed(office)
    status, answer = office.pay(bill["reference"], 150000)
    assert status == 400, answer
    assert answer["type"] == "InvalidRequestException"
    assert "paid_amount" in answer["message"] and "300000" in answer["message"], answer
    assert "Must be 300000" in json.dumps(answer)
    # not at signing: nobody was given the head of office's step, the payment is still awaited
    assert _open_steps(office, application_id) == []
    assert "paid_amount" not in office.data(application_id)
    (refused,) = office.events(application_id, "message_refused")
    assert (refused.actor, refused.element_id, refused.data["client"]) == ("client:bank", "Event_Paid", "bank")
    assert refused.data["data"]["paid_amount"] == 150000
    # the full amount afterwards goes through to signing
    assert office.pay(bill["reference"], 300000)[0] == 204
    assert [t["element_id"] for t in office.detail(application_id, "kadis")["tasks"]] == ["Task_Sign"]


def test_an_overpayment_is_refused_too(live_office):
    office = live_office
    application_id, bill = _approved_and_billed(office)
    status, answer = office.pay(bill["reference"], 3000000)
    assert status == 400 and "paid_amount" in answer["message"], answer
    assert office.instance(application_id).status == "running"
    assert _open_steps(office, application_id) == []


def test_a_payment_after_the_file_closed_is_answered_clearly_and_recorded_for_a_refund(live_office, app, clock):
    office = live_office
    application_id, bill = _approved_and_billed(office)
    clock.advance(timedelta(days=4))
    assert jobs.fire_timers(office.db.factory, office.ctx).instances == 1
    status, answer = office.pay(bill["reference"], 300000)
    assert status == 400, answer
    assert answer["type"] == "RestException"
    message = answer["message"]
    assert f"application {bill['reference']} is closed" in message
    assert "Berkas ditutup (retribusi tidak dibayar)" in message
    assert "contact the office of sinjai" in message and "pengaduan@dpmptsp.sulselprov.go.id" in message
    (kept,) = office.events(application_id, "message_after_close")
    assert (kept.data["client"], kept.data["data"]["paid_amount"], kept.data["data"]["payment_ref"]) == (
        "bank", 300000, "PAY-77")
    # the staff see it in the application's history, over the API and on the page, with what the bank sent
    history = office.detail(application_id, "sinta")
    assert "message_after_close" in json.dumps(history)
    officer = Visitor(app.test_client())
    officer.sign_in("sinta")
    history_page = " ".join(page(officer.get(f"/applications/{application_id}")).text_content().split())
    assert "Pesan setelah berkas ditutup (pembayaran yang harus dikembalikan)" in history_page
    assert "bank: paid_amount = 300000, payment_ref = PAY-77" in history_page
    assert office.instance(application_id).outcome == "Berkas ditutup (retribusi tidak dibayar)"


def test_a_payment_for_an_unknown_registration_number_is_the_plain_mismatch_and_records_nothing(live_office):
    office = live_office
    _approved_and_billed(office)
    status, answer = office.pay("no-such-file", 300000)
    assert status == 400 and "No process definition or execution matches" in answer["message"], answer
    with office.db.transaction() as session:
        assert session.query(Event).filter(Event.kind.in_(["message_after_close", "message_refused"])).count() == 0


def _bill_on_page(app, who: str, application_id: int) -> dict:
    visitor = Visitor(app.test_client())
    visitor.sign_in(who)
    response = visitor.get(f"/applications/{application_id}")
    assert response.status_code == 200
    (section,) = page(response).find_class("bill")
    return {name: " ".join(section.find_class(f"bill-{name}")[0].text_content().split())
            for name in ("amount", "account", "deadline", "status")}


def test_the_applicant_and_the_officer_see_the_bill_and_the_applicant_hears_of_it_and_of_the_payment(
        live_office, app):
    office = live_office
    application_id, bill = _approved_and_billed(office)
    shown = _bill_on_page(app, "andi", application_id)
    assert shown == {"amount": "Rp 300.000", "account": bill["virtual_account"],
                     "deadline": "05-06-2026 16:00 WITA", "status": "Menunggu pembayaran"}
    assert _bill_on_page(app, "sinta", application_id)["account"] == bill["virtual_account"]
    # and over the API, for the applicant's and the office's apps
    assert office.detail(application_id)["bill"] == {
        "amount": 300000, "account": bill["virtual_account"], "deadline": "2026-06-05T16:00:00+08:00",
        "status": "waiting", "paid_amount": None}
    (issued,) = office.notifications("bill_issued")
    assert (issued.recipient, issued.instance_id) == ("andi", application_id)
    assert "Rp 300.000" in issued.body and bill["virtual_account"] in issued.body and "16:00 WITA" in issued.body
    assert office.notifications("bill_paid") == []

    assert _call("POST", f"{office.gateway.url}/bills/{bill['bill_id']}/pay", {})[1]["callback_status"] == 204
    assert _bill_on_page(app, "andi", application_id)["status"] == "Lunas (Rp 300.000)"
    assert (office.detail(application_id, "sinta")["bill"]["status"],
            office.detail(application_id, "sinta")["bill"]["paid_amount"]) == ("paid", 300000)
    (paid,) = office.notifications("bill_paid")
    assert paid.recipient == "andi" and "Rp 300.000" in paid.body
    assert len(office.notifications("bill_issued")) == 1  # later steps do not repeat it
    office.decide(application_id, "Task_Sign", "kadis", {"signature_confirmed": True})
    assert len(office.notifications("bill_paid")) == 1


def test_a_bill_left_unpaid_shows_as_expired_once_the_file_closes(live_office, app, clock):
    office = live_office
    application_id, _bill = _approved_and_billed(office)
    clock.advance(timedelta(days=4))
    assert jobs.fire_timers(office.db.factory, office.ctx).instances == 1
    assert _bill_on_page(app, "andi", application_id)["status"] == "Kedaluwarsa: tidak dibayar sebelum batas waktu"
    assert office.notifications("bill_paid") == []


def test_a_file_of_a_service_without_a_bill_shows_none(live_office, app):
    office = live_office
    applied = office.apply(business_scale="mikro", fleet_gt=3)
    office.work_nik_checks()
    visitor = Visitor(app.test_client())
    visitor.sign_in("andi")
    assert page(visitor.get(f"/applications/{applied['id']}")).find_class("bill") == []
    assert office.detail(applied["id"])["bill"] is None


def test_a_late_payment_names_the_office_as_it_is_set_up(live_office, clock):
    office = live_office
    with office.db.transaction() as session:
        offices.save(session, "sinjai", actor="admin", at=office.ctx.now(), name="DPMPTSP Kabupaten Sinjai",
                     address="Jl. Persatuan Raya No. 5, Sinjai")
    application_id, bill = _approved_and_billed(office)
    clock.advance(timedelta(days=4))
    assert jobs.fire_timers(office.db.factory, office.ctx).instances == 1
    status, answer = office.pay(bill["reference"], 300000)
    assert status == 400
    assert "contact DPMPTSP Kabupaten Sinjai, Jl. Persatuan Raya No. 5, Sinjai" in answer["message"], answer
