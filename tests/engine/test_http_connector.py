"""The HTTP connector: a service task with camunda:connector http-connector is an external task the scheduler works
against a real HTTP server on 127.0.0.1 — output mapping, retries with back-off ending in an incident, a time limit,
hosts and addresses the installation did not allow refused before anything is sent, secrets that reach the other
side and nowhere else."""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
import pytest

from engine.casework import applications
from engine.casework.external_outbox import INCIDENT, OPEN
from engine.errors import InvalidInput
from engine.integration import clients
from engine.integration.connector_guard import ConnectorSettings
from engine.storage.models import Event, ExternalTask, Instance
from scheduler import jobs
from tests.engine.conftest import APPLICANT, diagram, fields_form

TOKEN = "tok-rahasia-8f3a1c"
FORMS = {"apply": fields_form(nik="string")}


class Gateway:
    """A payment gateway on 127.0.0.1: answers by path, remembers every request it received."""

    def __init__(self):
        self.seen: list[dict] = []
        self.status = 200
        self.delay = 0.0
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                gateway.seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                     "body": body})
                time.sleep(gateway.delay)
                answer = orjson.dumps({"id": "TAG-0001", "amount": 150000,
                                       "echo": self.headers.get("Authorization")})
                self.send_response(gateway.status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def connector_diagram(url: str, *, outputs: str | None = None) -> str:
    outputs = outputs if outputs is not None else """
          <camunda:outputParameter name="bill_id">${response["id"]}</camunda:outputParameter>
          <camunda:outputParameter name="status_code">${statusCode}</camunda:outputParameter>
          <camunda:outputParameter name="echo">${response["echo"]}</camunda:outputParameter>"""
    return diagram(f"""
    <bpmn:startEvent id="s" camunda:formKey="apply"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="bill"/>
    <bpmn:serviceTask id="bill" name="Minta tagihan">
      <bpmn:extensionElements><camunda:connector>
        <camunda:inputOutput>
          <camunda:inputParameter name="url">{url}</camunda:inputParameter>
          <camunda:inputParameter name="method">POST</camunda:inputParameter>
          <camunda:inputParameter name="headers"><camunda:map>
            <camunda:entry key="Authorization">Bearer ${{secret:GATEWAY_TOKEN}}</camunda:entry>
          </camunda:map></camunda:inputParameter>
          <camunda:inputParameter name="payload">
            <camunda:script scriptFormat="python">{{"nik": nik, "amount": 150000}}</camunda:script>
          </camunda:inputParameter>
          {outputs}
        </camunda:inputOutput>
        <camunda:connectorId>http-connector</camunda:connectorId>
      </camunda:connector></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f1" sourceRef="bill" targetRef="done"/><bpmn:endEvent id="done" name="Tagihan dibuat"/>""")


def allowed(**overrides) -> ConnectorSettings:
    """The test installation allows 127.0.0.1 and its loopback address explicitly."""
    values = {"allowed_hosts": ("127.0.0.1",), "allowed_networks": (ipaddress.ip_network("127.0.0.1/32"),),
              "secrets": {"GATEWAY_TOKEN": TOKEN}, "timeout": 0.5, "retries": 3, "backoff": 10}
    values.update(overrides)
    return ConnectorSettings(**values)


@pytest.fixture
def gateway():
    with Gateway() as server:
        yield server


@pytest.fixture
def start(db, ctx, deploy):
    def _start(xml: str, nik: str = "7371010101010001") -> int:
        deploy(xml, FORMS)
        with db.transaction() as session:
            return applications.start(session, ctx, service="p", data={"nik": nik}, actor=APPLICANT).id

    return _start


def _instance(db, instance_id):
    with db.transaction() as session:
        instance = session.get(Instance, instance_id)
        session.expunge(instance)
        return instance


def _row(db, instance_id) -> ExternalTask:
    with db.transaction() as session:
        (row,) = session.query(ExternalTask).filter_by(instance_id=instance_id).all()
        session.expunge(row)
        return row


def _everything_stored(db) -> str:
    """Every application state, external task row and audit event, as text."""
    with db.transaction() as session:
        parts = [str(i.state) for i in session.query(Instance)]
        parts += [json.dumps([r.variables, r.error_message, r.error_details]) for r in session.query(ExternalTask)]
        parts += [json.dumps(e.data, default=str) for e in session.query(Event)]
    return "\n".join(parts)


def test_the_connector_posts_with_the_secret_and_maps_the_answer_into_the_application(db, ctx, gateway, start):
    application = start(connector_diagram(f"http://127.0.0.1:{gateway.port}/bills?nik=${{nik}}"))
    report = jobs.run_connectors(db.factory, ctx, allowed())
    assert (report.completed, report.retrying, report.incidents) == (1, 0, 0)
    (request,) = gateway.seen
    assert (request["method"], request["path"]) == ("POST", "/bills?nik=7371010101010001")
    assert request["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert request["headers"]["Content-Type"] == "application/json"
    assert orjson.loads(request["body"]) == {"nik": "7371010101010001", "amount": 150000}
    instance = _instance(db, application)
    assert (instance.status, instance.outcome) == ("completed", "Tagihan dibuat")
    with db.transaction() as session:
        (done,) = session.query(Event).filter_by(kind="external_task_completed").all()
        assert done.actor == "client:lincah.http-connector"
        # The gateway echoed the secret back: what reaches the application says which secret, not its value.
        assert done.data["data"] == {"bill_id": "TAG-0001", "status_code": 200,
                                     "echo": "Bearer ${secret:GATEWAY_TOKEN}"}
    assert TOKEN not in _everything_stored(db)


def test_a_server_error_is_retried_with_a_doubling_back_off_then_becomes_an_incident(db, ctx, clock, gateway,
                                                                                      start):
    gateway.status = 500
    application = start(connector_diagram(f"http://127.0.0.1:{gateway.port}/bills"))
    settings = allowed()
    assert jobs.run_connectors(db.factory, ctx, settings).retrying == 1
    row = _row(db, application)
    assert (row.state, row.retries, row.retry_at) == (OPEN, 2, ctx.now() + timedelta(seconds=10))
    assert "answered HTTP 500" in row.error_message and "TAG-0001" in row.error_details
    assert jobs.run_connectors(db.factory, ctx, settings).retrying == 0  # waits out the back-off
    assert len(gateway.seen) == 1
    clock.advance(timedelta(seconds=10))
    assert jobs.run_connectors(db.factory, ctx, settings).retrying == 1
    assert _row(db, application).retry_at == ctx.now() + timedelta(seconds=20)
    clock.advance(timedelta(seconds=19))
    assert jobs.run_connectors(db.factory, ctx, settings).incidents == 0 and len(gateway.seen) == 2
    clock.advance(timedelta(seconds=1))
    assert jobs.run_connectors(db.factory, ctx, settings).incidents == 1
    assert len(gateway.seen) == 3
    row, instance = _row(db, application), _instance(db, application)
    assert (row.state, row.retries) == (INCIDENT, 0)
    assert (instance.status, instance.error_element) == ("error", "bill")
    assert "HTTP 500" in instance.error_message
    assert TOKEN not in _everything_stored(db)


def test_an_answer_later_than_the_time_limit_is_a_failure_to_retry(db, ctx, gateway, start):
    gateway.delay = 1.5
    application = start(connector_diagram(f"http://127.0.0.1:{gateway.port}/bills"))
    started = time.monotonic()
    assert jobs.run_connectors(db.factory, ctx, allowed(timeout=0.3)).retrying == 1
    assert time.monotonic() - started < 1.4
    row = _row(db, application)
    assert row.retries == 2 and "did not answer within 0.3 s" in row.error_message


def test_a_host_the_installation_did_not_allow_is_refused_and_nothing_is_sent(db, ctx, gateway, start):
    application = start(connector_diagram(f"http://127.0.0.1:{gateway.port}/bills"))
    assert jobs.run_connectors(db.factory, ctx, allowed(allowed_hosts=())).incidents == 1
    assert gateway.seen == []
    row = _row(db, application)
    assert row.state == INCIDENT and "LINCAH_CONNECTOR_ALLOWED_HOSTS" in row.error_message
    assert _instance(db, application).status == "error"


def test_an_allowed_name_on_a_loopback_address_needs_its_network_allowed_too(db, ctx, gateway, start):
    application = start(connector_diagram(f"http://127.0.0.1:{gateway.port}/bills"))
    assert jobs.run_connectors(db.factory, ctx, allowed(allowed_networks=())).incidents == 1
    assert gateway.seen == []
    assert "127.0.0.1, a private, loopback or reserved address" in _row(db, application).error_message


def test_a_public_name_resolving_into_the_office_network_is_refused(db, ctx, gateway, start):
    def office_dns(host, port, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.20.0.5", port))]

    application = start(connector_diagram("https://gateway.example.co.id/bills"))
    settings = allowed(allowed_hosts=("*.example.co.id",), resolve=office_dns)
    assert jobs.run_connectors(db.factory, ctx, settings).incidents == 1
    assert "resolves to 10.20.0.5" in _row(db, application).error_message


def test_the_request_goes_to_the_address_that_was_checked_with_the_names_host_header(db, ctx, gateway, start):
    def pinned_dns(host, port, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    start(connector_diagram(f"http://gateway.test:{gateway.port}/bills"))
    settings = allowed(allowed_hosts=(f"gateway.test:{gateway.port}",), resolve=pinned_dns)
    assert jobs.run_connectors(db.factory, ctx, settings).completed == 1
    (request,) = gateway.seen
    assert request["headers"]["Host"] == f"gateway.test:{gateway.port}"


def test_a_secret_the_installation_does_not_have_is_an_incident_before_anything_is_sent(db, ctx, gateway, start):
    application = start(connector_diagram(f"http://127.0.0.1:{gateway.port}/bills"))
    assert jobs.run_connectors(db.factory, ctx, allowed(secrets={})).incidents == 1
    assert gateway.seen == []
    assert "LINCAH_SECRET_GATEWAY_TOKEN" in _row(db, application).error_message


def test_data_that_looks_like_a_secret_reference_is_sent_as_written(db, ctx, gateway, start):
    start(connector_diagram(f"http://127.0.0.1:{gateway.port}/bills"), nik="${secret:GATEWAY_TOKEN}")
    assert jobs.run_connectors(db.factory, ctx, allowed()).completed == 1
    (request,) = gateway.seen
    assert orjson.loads(request["body"])["nik"] == "${secret:GATEWAY_TOKEN}"


def test_a_mapping_that_fails_on_the_answer_is_an_incident_not_a_resend(db, ctx, gateway, start):
    missing = '<camunda:outputParameter name="x">${response["missing"]}</camunda:outputParameter>'
    xml = connector_diagram(f"http://127.0.0.1:{gateway.port}/bills", outputs=missing)
    application = start(xml)
    assert jobs.run_connectors(db.factory, ctx, allowed()).incidents == 1
    assert len(gateway.seen) == 1
    assert "output mapping of step 'bill' failed" in _row(db, application).error_message


def test_no_api_client_may_be_granted_the_connectors_topic(db, ctx):
    with db.transaction() as session, pytest.raises(InvalidInput, match="Lincah's own"):
        clients.add(session, ctx, "thief", topics=["lincah:http-connector"], actor="admin")


def test_settings_come_from_the_environment_and_a_toml_file_and_never_show_a_secret(tmp_path):
    secrets_file = tmp_path / "secrets.toml"
    secrets_file.write_text('GATEWAY_TOKEN = "from-file"\nOSS_KEY = "oss-123"\n')
    settings = ConnectorSettings.from_env({
        "LINCAH_CONNECTOR_ALLOWED_HOSTS": "pay.example.co.id, *.bank.example:8443",
        "LINCAH_CONNECTOR_ALLOWED_NETWORKS": "10.2.0.0/16", "LINCAH_CONNECTOR_SECRETS": str(secrets_file),
        "LINCAH_SECRET_GATEWAY_TOKEN": "from-env", "LINCAH_CONNECTOR_TIMEOUT": "5"})
    assert settings.secrets == {"GATEWAY_TOKEN": "from-env", "OSS_KEY": "oss-123"}
    assert "from-env" not in repr(settings) and "oss-123" not in repr(settings)
    assert settings.host_allowed("pay.example.co.id", 443) and settings.host_allowed("api.bank.example", 8443)
    assert not settings.host_allowed("api.bank.example", 443) and not settings.host_allowed("evil.example", 443)
    assert settings.address_allowed("10.2.3.4") and not settings.address_allowed("10.3.0.1")
    assert not settings.address_allowed("169.254.169.254") and settings.timeout == 5
    assert ConnectorSettings.from_env({}).allowed_hosts == ()
