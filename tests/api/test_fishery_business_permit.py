"""The third bundled service, the fishery business permit (*izin usaha perikanan*), end to end over real HTTP:
deployed by ``lincah deploy`` with the DMN table beside it, an applicant applies to a live Lincah, the reference
NIK worker (examples/nik_worker.py) checks the NIK with the fake population registry, the fee (*retribusi*) comes
from the decision table, the officer of the business's regency approves, the HTTP connector asks the fake bank for
a bill, the bank's payment callback arrives as a message, the head of office signs and the permit number is issued.
An unpaid bill closes the file when its deadline (3 working days, 16:00 office time) passes; an unknown NIK ends
the file at once through the worker's BPMN error."""

from __future__ import annotations

import base64
import importlib.util
import ipaddress
import json
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from click.testing import CliRunner

from api.cli import main as cli
from engine.casework import applications
from engine.demo_fakes import FakeGateway, FakeRegistry
from engine.integration.connector_guard import ConnectorSettings
from engine.storage.models import Event, ExternalTask, Instance, Notification
from scheduler import jobs
from tests.conftest import PROJECT_ROOT
from tests.web.live import serve

SERVICE = "fishery_business_permit"
TOKEN = "merchant-token-5d1e"
worker_spec = importlib.util.spec_from_file_location("nik_worker", PROJECT_ROOT / "examples" / "nik_worker.py")
nik_worker = importlib.util.module_from_spec(worker_spec)
worker_spec.loader.exec_module(nik_worker)


def application(**overrides) -> dict:
    return {"applicant_name": "Daeng Rahman", "nik": "7307010101010002", "phone": "081298765432",
            "business_name": "UD Laut Sinjai", "nib": "1234567890123", "activity": "capture",
            "business_scale": "kecil", "fleet_gt": 12, "home_regency": "sinjai",
            "business_address": "Jl. Pelabuhan 1, Sinjai", "declaration": True, **overrides}


def _call(method: str, url: str, body=None, headers: dict | None = None) -> tuple[int, object]:
    request = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, text = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read()
    return status, json.loads(text) if text else None


class Office:
    """A live Lincah (the test app on a free port), the fakes, and the people and clients who work the service."""

    def __init__(self, base: str, db, ctx, people, registry: FakeRegistry, gateway: FakeGateway, secrets: dict):
        self.base, self.db, self.ctx, self.people = base, db, ctx, people
        self.registry, self.gateway, self.secrets = registry, gateway, secrets
        self.connector = ConnectorSettings(
            allowed_hosts=(f"127.0.0.1:{gateway.port}",), allowed_networks=(ipaddress.ip_network("127.0.0.1/32"),),
            secrets={"PAYMENT_GATEWAY_URL": gateway.url, "PAYMENT_GATEWAY_TOKEN": TOKEN}, timeout=5)

    def api(self, method: str, path: str, who: str, body=None):
        return _call(method, f"{self.base}/api/v1{path}", body, self.people.headers(who))

    def apply(self, **overrides) -> dict:
        status, answer = self.api("POST", "/applications", "andi", {"service": SERVICE, "data": application(
            **overrides)})
        assert status == 201, answer
        return answer

    def work_nik_checks(self) -> int:
        lincah = nik_worker.Lincah(f"{self.base}/engine-rest", "dukcapil", self.secrets["dukcapil"], "nik-worker-1")
        return nik_worker.run(lincah, self.registry.url, once=True, wait_ms=0)

    def detail(self, application_id: int, who: str = "andi") -> dict:
        status, answer = self.api("GET", f"/applications/{application_id}", who)
        assert status == 200, answer
        return answer

    def decide(self, application_id: int, element_id: str, who: str, data: dict, decision: str | None = None):
        (task,) = [t for t in self.detail(application_id, who)["tasks"] if t["element_id"] == element_id]
        body = {"data": data, **({"decision": decision} if decision else {})}
        status, answer = self.api("POST", f"/tasks/{task['id']}/complete", who, body)
        assert status == 200, answer

    def instance(self, application_id: int) -> Instance:
        with self.db.transaction() as session:
            row = session.get(Instance, application_id)
            session.expunge(row)
            return row

    def data(self, application_id: int) -> dict:
        with self.db.transaction() as session:
            return applications.current_data(self.ctx, session.get(Instance, application_id))

    def pay(self, reference: str, amount, amount_type: str = "Long") -> tuple[int, dict]:
        """The bank's payment message for the bill ``reference`` (Camunda's message API, the bank's client)."""
        credentials = {"Authorization": "Basic " + base64.b64encode(f"bank:{self.secrets['bank']}".encode()).decode()}
        body = {"messageName": "payment_received", "businessKey": reference, "processVariables": {
            "paid_amount": {"value": amount, "type": amount_type}, "payment_ref": {"value": "PAY-77", "type": "String"},
            "paid_at": {"value": "2026-06-03T10:15:00+08:00", "type": "String"}}}
        return _call("POST", f"{self.base}/engine-rest/message", body, credentials)

    def events(self, application_id: int, kind: str) -> list[Event]:
        """The application's audit events of ``kind``, oldest first."""
        with self.db.transaction() as session:
            rows = session.query(Event).filter_by(instance_id=application_id, kind=kind).order_by(Event.id).all()
            session.expunge_all()
            return rows

    def notifications(self, kind: str) -> list[Notification]:
        """Every notification of ``kind``, oldest first."""
        with self.db.transaction() as session:
            rows = session.query(Notification).filter_by(kind=kind).order_by(Notification.id).all()
            session.expunge_all()
            return rows


@pytest.fixture
def office(app, db, ctx, people):
    deployed = CliRunner().invoke(cli, ["deploy", str(PROJECT_ROOT / "processes" / f"{SERVICE}.bpmn")],
                                  env={"LINCAH_DATABASE_URL": db.url})
    assert deployed.exit_code == 0, deployed.output
    with serve(app) as base:
        secrets = {}
        for name, scope in (("dukcapil", {"topics": ["nik-check"]}), ("bank", {"messages": ["payment_received"]})):
            status, answer = _call("POST", f"{base}/api/v1/clients", {"name": name, **scope}, people.headers("admin"))
            assert status == 201, answer
            secrets[name] = answer["secret"]
        with FakeRegistry() as registry, FakeGateway(TOKEN, base, "bank", secrets["bank"]) as gateway:
            yield Office(base, db, ctx, people, registry, gateway, secrets)


def _approved_and_billed(office: Office, **overrides) -> tuple[int, dict]:
    """Apply, let the worker check the NIK, approve in the regency, let the connector ask the bank for the bill."""
    applied = office.apply(**overrides)
    assert office.work_nik_checks() == 1
    office.decide(applied["id"], "Task_Verify", "sinta", {"note": "Data usaha sesuai"}, "Setujui")
    report = jobs.run_connectors(office.db.factory, office.ctx, office.connector)
    assert report.completed == 1, report
    (bill,) = office.gateway.bills.values()
    return applied["id"], bill


def test_apply_check_bill_pay_sign_issue(office):
    applied = office.apply()
    assert applied["status"] == "running" and applied["tasks"] == []  # waiting for the registry, not for a person
    assert office.work_nik_checks() == 1
    assert office.registry.lookups == ["/nik/7307010101010002"]
    data = office.data(applied["id"])
    assert (data["nik_verified"], data["registry_name"]) == (True, "Daeng Rahman")
    assert data["retribusi"] == {"amount": 300000, "basis": "Usaha kecil, armada di atas 10 GT"}

    # the officer of Sinjai (the business's regency) works it; Bone's does not even see it
    assert [t["element_id"] for t in office.detail(applied["id"], "sinta")["tasks"]] == ["Task_Verify"]
    assert office.api("GET", f"/applications/{applied['id']}", "bona")[0] == 404
    office.decide(applied["id"], "Task_Verify", "sinta", {"note": "Data usaha sesuai"}, "Setujui")

    report = jobs.run_connectors(office.db.factory, office.ctx, office.connector)
    assert report.completed == 1, report
    (bill,) = office.gateway.bills.values()
    number = applied["registration_no"]
    # Tuesday 2 June 2026 + 3 working days = Friday 5 June, 16:00 in Makassar
    assert (bill["reference"], bill["amount"], bill["payer_nik"], bill["expires_at"]) == (
        number, 300000, "7307010101010002", "2026-06-05T16:00:00+08:00")
    # the applicant reads the bill over the API: the virtual account to pay into, the amount and the deadline
    seen = office.detail(applied["id"])["data"]
    assert (seen["virtual_account"], seen["retribusi"]["amount"], seen["pay_before"]) == (
        bill["virtual_account"], 300000, "2026-06-05T16:00:00+08:00")

    status, paid = _call("POST", f"{office.gateway.url}/bills/{bill['bill_id']}/pay", {})
    assert (status, paid["status"], paid["callback_status"]) == (200, "paid", 204), paid
    data = office.data(applied["id"])
    assert (data["paid_amount"], data["payment_ref"]) == (300000, f"PAY-{bill['bill_id']}")

    office.decide(applied["id"], "Task_Sign", "kadis", {"signature_confirmed": True})
    done = office.instance(applied["id"])
    assert (done.status, done.outcome) == ("completed", "Izin usaha perikanan terbit")
    assert office.data(applied["id"])["permit_number"].startswith("503/")
    with office.db.transaction() as session:
        kinds = [e.kind for e in session.query(Event).filter_by(instance_id=applied["id"]).order_by(Event.id)]
    assert "message_correlated" in kinds
    # the managers' SLA report counts its officers' steps and the whole file, like the other services'
    status, report = office.api("GET", "/reports/sla", "manajer")
    assert status == 200, report
    steps = [r["step"] for r in report["steps"] if r["service"] == SERVICE]
    assert steps == ["Task_Verify", "Task_Sign"]
    (whole,) = [r for r in report["files"] if r["service"] == SERVICE]
    assert whole["sla"] == "P5D"


def test_an_unpaid_bill_closes_the_file_when_its_deadline_passes(office, clock):
    application_id, bill = _approved_and_billed(office)
    clock.advance(timedelta(days=3, hours=6, minutes=59))  # Friday 15:59 in Makassar: still time to pay
    assert jobs.fire_timers(office.db.factory, office.ctx).instances == 0
    assert office.instance(application_id).status == "running"
    clock.advance(timedelta(minutes=2))
    assert jobs.fire_timers(office.db.factory, office.ctx).instances == 1
    closed = office.instance(application_id)
    assert (closed.status, closed.outcome) == ("completed", "Berkas ditutup (retribusi tidak dibayar)")
    # a payment arriving afterwards finds nothing waiting: Camunda's 400, and the file stays closed
    status, paid = _call("POST", f"{office.gateway.url}/bills/{bill['bill_id']}/pay", {})
    assert (status, paid["callback_status"]) == (200, 400)
    assert "Cannot correlate message 'payment_received'" in paid["callback_answer"]
    assert office.instance(application_id).outcome == "Berkas ditutup (retribusi tidak dibayar)"


def test_an_unknown_nik_ends_the_file_through_the_workers_bpmn_error(office):
    applied = office.apply(nik="7307010101990000")
    assert office.work_nik_checks() == 1
    ended = office.instance(applied["id"])
    assert (ended.status, ended.outcome) == ("completed", "Ditolak: NIK tidak terdaftar di Dukcapil")
    assert office.gateway.bills == {}


def test_a_micro_business_pays_nothing_and_goes_straight_to_signing(office):
    applied = office.apply(business_scale="mikro", fleet_gt=3)
    office.work_nik_checks()
    assert office.data(applied["id"])["retribusi"]["amount"] == 0
    office.decide(applied["id"], "Task_Verify", "sinta", {}, "Setujui")
    assert [t["element_id"] for t in office.detail(applied["id"], "kadis")["tasks"]] == ["Task_Sign"]
    assert jobs.run_connectors(office.db.factory, office.ctx, office.connector).completed == 0
    assert office.gateway.bills == {}


def test_a_registry_that_cannot_be_reached_is_a_failure_counted_down_and_fetched_again_later(office, clock):
    applied = office.apply()
    lincah = nik_worker.Lincah(f"{office.base}/engine-rest", "dukcapil", office.secrets["dukcapil"], "nik-worker-1")
    registry_down = "http://127.0.0.1:9"  # the discard port: nothing listens there
    assert nik_worker.run(lincah, registry_down, once=True, wait_ms=0) == 1
    with office.db.transaction() as session:
        row = session.query(ExternalTask).filter_by(instance_id=applied["id"]).one()
        assert (row.retries, row.error_message) == (3, "The population registry could not be reached.")
    assert nik_worker.run(lincah, office.registry.url, once=True, wait_ms=0) == 0  # waits out its retryTimeout
    clock.advance(timedelta(seconds=61))
    assert office.work_nik_checks() == 1
    assert office.data(applied["id"])["nik_verified"] is True


def test_a_callback_the_payment_form_refuses_is_a_400_naming_the_field_and_changes_nothing(office):
    application_id, bill = _approved_and_billed(office)
    credentials = {"Authorization": "Basic " + base64.b64encode(f"bank:{office.secrets['bank']}".encode()).decode()}
    body = {"messageName": "payment_received", "businessKey": bill["reference"], "processVariables": {
        "paid_amount": {"value": "tiga ratus ribu", "type": "String"}, "payment_ref": {"value": "PAY-1"},
        "paid_at": {"value": "2026-06-03T10:15:00+08:00"}}}
    status, answer = _call("POST", f"{office.base}/engine-rest/message", body, credentials)
    assert status == 400 and "paid_amount" in json.dumps(answer), answer
    status, answer = _call("POST", f"{office.base}/engine-rest/message", {**body, "processVariables": {
        **body["processVariables"], "is_paid_twice": {"value": True, "type": "Boolean"}}}, credentials)
    assert status == 400 and "is_paid_twice" in json.dumps(answer), answer
    assert "paid_amount" not in office.data(application_id)  # still waiting for a payment, not at signing
    assert office.instance(application_id).status == "running"
    status, paid = _call("POST", f"{office.gateway.url}/bills/{bill['bill_id']}/pay", {})
    assert paid["callback_status"] == 204


def test_a_bill_the_bank_issues_late_gets_its_three_working_days_from_the_day_it_is_issued(office, clock):
    applied = office.apply()
    office.work_nik_checks()
    office.decide(applied["id"], "Task_Verify", "sinta", {}, "Setujui")
    bank_down = ConnectorSettings(**{**vars(office.connector), "secrets": {
        "PAYMENT_GATEWAY_URL": "http://127.0.0.1:9", "PAYMENT_GATEWAY_TOKEN": TOKEN},
        "allowed_hosts": ("127.0.0.1",)})
    assert jobs.run_connectors(office.db.factory, office.ctx, bank_down).retrying == 1
    clock.advance(timedelta(days=1))  # Wednesday: the bank is back
    assert jobs.run_connectors(office.db.factory, office.ctx, office.connector).completed == 1
    (bill,) = office.gateway.bills.values()
    assert bill["expires_at"] == "2026-06-08T16:00:00+08:00"  # Wednesday + 3 working days = Monday, 16:00
    clock.advance(timedelta(days=2, hours=7, minutes=1))  # Friday 16:01 in Makassar: a deadline from Tuesday
    assert jobs.fire_timers(office.db.factory, office.ctx).instances == 0
    assert office.instance(applied["id"]).status == "running"
