"""The fishery business permit's bill as the office works with it: the head of office sees the bill (amount, virtual
account, deadline in office time, status) on the signing step, and the office's supervisors are told — in the app
and by e-mail, through the outbox — when the bank's payment message is refused (wrong amount, data the step does
not take, a file already closed); the bill and the application's page show the refusal, the history audits it.
A bank that refuses to issue the bill at all (HTTP 401) is an incident at once, which stops the file and tells the
supervisors the same way."""

from __future__ import annotations

from datetime import timedelta

from engine.integration.connector_guard import ConnectorSettings
from scheduler import jobs
from tests.api import test_fishery_business_permit as permit
from tests.api.test_fishery_business_permit import Office, _approved_and_billed, _call
from tests.web.conftest import Visitor, page

live_office = permit.office  # the live Lincah with the fake bank, under a name of its own in this module


def _signed_in(app, who: str) -> Visitor:
    visitor = Visitor(app.test_client())
    visitor.sign_in(who)
    return visitor


def _bill(html_page) -> dict:
    sections = html_page.find_class("bill")
    if not sections:
        return {}
    (section,) = sections
    shown = {name: " ".join(section.find_class(f"bill-{name}")[0].text_content().split())
             for name in ("amount", "account", "deadline", "status")}
    shown["refusals"] = [" ".join(p.text_content().split()) for p in section.find_class("bill-refusal")]
    return shown


def _task_page(office: Office, app, who: str, application_id: int, element_id: str):
    (task,) = [t for t in office.detail(application_id, who)["tasks"] if t["element_id"] == element_id]
    response = _signed_in(app, who).get(f"/tasks/{task['id']}")
    assert response.status_code == 200
    return page(response)


def test_the_head_of_office_sees_the_paid_bill_beside_the_signing_step(live_office, app):
    office = live_office
    applied = office.apply()
    office.work_nik_checks()
    # before the bank issued a bill, the officer's step shows none
    assert _bill(_task_page(office, app, "sinta", applied["id"], "Task_Verify")) == {}
    office.decide(applied["id"], "Task_Verify", "sinta", {"note": "Data usaha sesuai"}, "Setujui")
    assert jobs.run_connectors(office.db.factory, office.ctx, office.connector).completed == 1
    (bill,) = office.gateway.bills.values()
    assert _call("POST", f"{office.gateway.url}/bills/{bill['bill_id']}/pay", {})[1]["callback_status"] == 204
    signing = _task_page(office, app, "kadis", applied["id"], "Task_Sign")
    assert _bill(signing) == {"amount": "Rp 300.000", "account": bill["virtual_account"],
                              "deadline": "05-06-2026 16:00 WITA", "status": "Lunas (Rp 300.000)", "refusals": []}
    # in the file summary area of the step, before the decision's buttons
    (column,) = signing.find_class("work-form")
    assert column.find_class("bill") and not signing.find_class("work-file")[0].find_class("bill")


def test_a_payment_of_the_wrong_amount_tells_the_supervisors_and_shows_on_the_bill(live_office, app):
    office = live_office
    office.people.headers("supri")  # the supervisor of Sinjai has an account
    application_id, bill = _approved_and_billed(office)
    assert office.pay(bill["reference"], 150000)[0] == 400
    (notice,) = office.notifications("message_refused")
    assert (notice.recipient, notice.instance_id) == ("supri", application_id)
    assert notice.data["fields"] == ["paid_amount"] and notice.data["client"] == "bank"
    assert "paid_amount = 150000" in notice.body and "payment_ref = PAY-77" in notice.body
    assert bill["reference"] in notice.subject and "ditolak" in notice.subject and "refused" in notice.subject
    # the bank sends the same callback again: the supervisor is not told twice; another amount tells again
    assert office.pay(bill["reference"], 150000)[0] == 400
    assert len(office.notifications("message_refused")) == 1
    assert office.pay(bill["reference"], 200000)[0] == 400
    assert len(office.notifications("message_refused")) == 2
    assert len(office.events(application_id, "message_refused")) == 3  # every refusal is audited

    staff = _bill(page(_signed_in(app, "supri").get(f"/applications/{application_id}")))
    assert staff["status"] == "Pembayaran ditolak: masih menunggu jumlah yang tepat"
    assert len(staff["refusals"]) == 3
    assert "bank" in staff["refusals"][0] and "paid_amount = 150000" in staff["refusals"][0]
    applicant = _bill(page(_signed_in(app, "andi").get(f"/applications/{application_id}")))
    assert applicant["status"] == staff["status"]
    assert "tidak sesuai dengan tagihan" in applicant["refusals"][0] and "PAY-77" not in applicant["refusals"][0]
    assert office.detail(application_id)["bill"]["status"] == "refused"

    # the exact amount afterwards is paid: the bill says so, the refusals stay listed for the record
    assert office.pay(bill["reference"], 300000)[0] == 204
    assert office.detail(application_id)["bill"]["status"] == "paid"
    signing = _bill(_task_page(office, app, "kadis", application_id, "Task_Sign"))
    assert signing["status"] == "Lunas (Rp 300.000)" and len(signing["refusals"]) == 3


def test_a_payment_message_with_data_the_step_does_not_take_is_recorded_and_told(live_office, app):
    office = live_office
    office.people.headers("supri")
    application_id, bill = _approved_and_billed(office)
    status, answer = office.pay(bill["reference"], "tiga ratus ribu", "String")
    assert status == 400 and answer["type"] == "InvalidRequestException" and "paid_amount" in answer["message"]
    (refused,) = office.events(application_id, "message_refused")
    assert refused.element_id == "Event_Paid" and "paid_amount" in refused.data["problems"]
    (notice,) = office.notifications("message_refused")
    assert notice.recipient == "supri" and "paid_amount = tiga ratus ribu" in notice.body
    assert office.instance(application_id).status == "running"  # nothing moved
    assert _bill(page(_signed_in(app, "supri").get(f"/applications/{application_id}")))["status"].startswith(
        "Pembayaran ditolak")


def test_a_payment_after_the_file_closed_tells_the_supervisors_to_arrange_the_refund(live_office, app, clock):
    office = live_office
    office.people.headers("supri")
    application_id, bill = _approved_and_billed(office)
    clock.advance(timedelta(days=4))
    assert jobs.fire_timers(office.db.factory, office.ctx).instances == 1
    assert office.pay(bill["reference"], 300000)[0] == 400
    (notice,) = office.notifications("message_after_close")
    assert notice.recipient == "supri" and "paid_amount = 300000" in notice.body and "refund" in notice.body
    (kept,) = office.events(application_id, "message_after_close")
    assert kept.data["business_key"] == bill["reference"]
    staff = _bill(page(_signed_in(app, "supri").get(f"/applications/{application_id}")))
    assert staff["status"] == "Kedaluwarsa: tidak dibayar sebelum batas waktu"
    (line,) = staff["refusals"]
    assert "setelah berkas ditutup" in line and "paid_amount = 300000" in line
    (line,) = _bill(page(_signed_in(app, "andi").get(f"/applications/{application_id}")))["refusals"]
    assert "Hubungi kantor" in line and "paid_amount" not in line


def test_a_bank_that_refuses_to_issue_the_bill_stops_the_file_and_tells_the_supervisors(live_office, app):
    office = live_office
    office.people.headers("supri")
    applied = office.apply()
    office.work_nik_checks()
    office.decide(applied["id"], "Task_Verify", "sinta", {"note": "Data usaha sesuai"}, "Setujui")
    wrong_token = ConnectorSettings(**{**vars(office.connector), "secrets": {
        **office.connector.secrets, "PAYMENT_GATEWAY_TOKEN": "expired-token"}})
    assert jobs.run_connectors(office.db.factory, office.ctx, wrong_token).incidents == 1  # a 401 is not retried
    assert office.gateway.bills == {}
    (notice,) = office.notifications("bill_refused")  # the bill's own notice, not a second "stopped" one
    assert notice.recipient == "supri" and "Task_RequestBill" in notice.body and "401" in notice.body
    assert office.notifications("application_stopped") == []
    assert "expired-token" not in notice.body  # the secret is never written out
    staff = page(_signed_in(app, "supri").get(f"/applications/{applied['id']}"))
    assert "401" in " ".join(staff.text_content().split())
    (section,) = staff.find_class("bill")  # no bill was issued: the refused one shows, with the bank's reason
    assert "bill-declined" in section.get("class") and section.find_class("bill-account") == []
    assert "invalid merchant token" in " ".join(section.text_content().split())
