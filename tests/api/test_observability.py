"""What the person on call sees: a request id on every log line and audit event, JSON logs, ``GET /metrics``."""

from __future__ import annotations

import io
import json
import logging
from dataclasses import replace

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from api import create_app
from engine.context import EngineContext
from engine.observability import configure_logging
from engine.storage.models import Event
from scheduler.service import SchedulerService
from tests import samples
from tests.api.conftest import apply, complete, open_task


@pytest.fixture
def json_log():
    """This process's logging as ``LINCAH_LOG_FORMAT=json`` sets it up, into a buffer; Python's defaults after."""
    root, lincah = logging.getLogger(), logging.getLogger("lincah")
    saved = (root.handlers[:], root.level, lincah.level)
    configure_logging("json", "INFO")
    (handler,) = [h for h in root.handlers if h not in saved[0]]
    buffer = io.StringIO()
    handler.setStream(buffer)
    yield buffer
    logging.captureWarnings(False)
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    lincah.setLevel(saved[2])


def _lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def test_every_answer_carries_a_request_id_and_a_sane_one_from_the_client_is_kept(client):
    mine = client.get("/api/v1/health", headers={"X-Request-ID": "lb-7f3a:42"})
    assert mine.headers["X-Request-ID"] == "lb-7f3a:42"
    fresh = client.get("/api/v1/health")
    other = client.get("/api/v1/health")
    assert len(fresh.headers["X-Request-ID"]) == 32 and fresh.headers["X-Request-ID"] != other.headers["X-Request-ID"]
    forged = client.get("/api/v1/health", headers={"X-Request-ID": "x\" injected=1 " + "y" * 200})
    assert forged.headers["X-Request-ID"].isalnum() and "injected" not in forged.headers["X-Request-ID"]
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.headers["X-Request-ID"]


def test_json_log_lines_carry_the_request_id(client, json_log):
    client.get("/api/v1/health", headers={"X-Request-ID": "req-json-1"})
    logging.getLogger("lincah.test").warning("outside any request")
    lines = _lines(json_log)
    (answered,) = [line for line in lines if line["logger"] == "lincah.http"]
    assert answered["request_id"] == "req-json-1" and answered["level"] == "INFO"
    assert answered["message"].startswith("GET /api/v1/health 200")
    assert lines[-1]["message"] == "outside any request" and lines[-1]["request_id"] is None
    assert lines[-1]["time"].endswith("+00:00")


def test_plain_text_logging_formats_warnings_and_keeps_info(capsys):
    root, lincah = logging.getLogger(), logging.getLogger("lincah")
    saved = (root.handlers[:], root.level, lincah.level)
    try:
        configure_logging("text", "INFO")
        logging.getLogger("lincah.scheduler").info("scheduler started")
        logging.getLogger("lincah.scheduler").warning("database available again")
    finally:
        logging.captureWarnings(False)
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        lincah.setLevel(saved[2])
    err = capsys.readouterr().err.splitlines()
    assert err[0].endswith(" INFO lincah.scheduler [-] scheduler started")
    assert err[1].endswith(" WARNING lincah.scheduler [-] database available again")


def test_the_audit_event_of_a_request_stores_its_request_id(db, client, people, deployed):
    andi, vera = people.headers("andi"), people.headers("vera")
    application = apply(client, {**andi, "X-Request-ID": "counter-desk-0001"})
    task = open_task(client, vera, application["id"], "Task_Verify")
    done = complete(client, {**vera, "X-Request-ID": "verify-0002"}, task["id"],
                    {**samples.VERIFIED, "note": "Lengkap"}, "Setujui")
    assert done.status_code == 200
    with db.factory() as session:
        events = session.scalars(select(Event).where(Event.instance_id == application["id"]).order_by(Event.id)).all()
    by_kind = {event.kind: event.data.get("request_id") for event in events}
    assert by_kind["started"] == "counter-desk-0001"
    assert by_kind["task_completed"] == "verify-0002"


def _metrics(client, **kwargs) -> dict:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.get_data(as_text=True)) for sample in family.samples}


def _value(metrics: dict, name: str, **labels) -> float:
    return metrics.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_requests_steps_open_tasks_and_the_scheduler(db, ctx, client, people, deployed):
    andi, vera = people.headers("andi"), people.headers("vera")
    before = _metrics(client)
    client.get("/api/v1/health")
    client.get("/api/v1/health")
    application = apply(client, andi)
    task = open_task(client, vera, application["id"], "Task_Verify")
    assert complete(client, vera, task["id"], {**samples.VERIFIED, "note": "Lengkap"}, "Setujui").status_code == 200
    SchedulerService(ctx, db.factory).run_once()
    client.application.extensions["lincah"]["operations"]._value = None  # past the few seconds' cache
    after = _metrics(client)

    health = {"route": "/api/v1/health", "method": "GET", "status": "200"}
    assert _value(after, "lincah_http_requests_total", **health) == _value(before, "lincah_http_requests_total",
                                                                          **health) + 2
    assert _value(after, "lincah_http_requests_total", route="/api/v1/tasks/<string:task_id>/complete", method="POST",
                  status="200") >= 1
    steps = _value(after, "lincah_step_seconds_count", outcome="done") - _value(before, "lincah_step_seconds_count",
                                                                              outcome="done")
    assert steps >= 2  # the start and the verification
    assert _value(after, "lincah_open_tasks", sla_state="on_track") == 1  # the step after the verification
    assert _value(after, "lincah_open_tasks", sla_state="breached") == 0
    assert ("lincah_external_tasks_open", ()) in after and ("lincah_mail_outbox_pending", ()) in after
    assert _value(after, "lincah_scheduler_last_run_age_seconds", job="timers") == 0.0  # the frozen clock
    # The verification's step found the workflow its start had kept in this process.
    assert (_value(after, "lincah_kept_workflows_total", result="reused")
            - _value(before, "lincah_kept_workflows_total", result="reused")) >= 1
    assert ("lincah_kept_workflows_total", (("result", "restored"),)) in after


def _app(db, ctx, **settings):
    context = EngineContext(settings=replace(ctx.settings, **settings), clock=ctx.clock)
    return create_app({"TESTING": True}, context=context, session_factory=db.factory)


def test_metrics_need_the_token_when_one_is_set(db, ctx):
    client = _app(db, ctx, metrics_token="s3cret-scrape").test_client()
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape"}).status_code == 200


def test_without_a_token_metrics_are_only_for_this_machine_unproxied(client):
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 403
    proxied = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert proxied.status_code == 403 and "LINCAH_METRICS_TOKEN" in proxied.get_data(as_text=True)
