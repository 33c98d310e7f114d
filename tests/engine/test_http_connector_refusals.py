"""A 4xx answer is the other side's refusal, not a hiccup: the HTTP connector never sends it again by itself. A
diagram that maps the answer (``${statusCode}``) still gets it, as with Camunda's connector; one whose mapping
cannot read it stops at an incident naming the refusal — a person retries it once the cause is dealt with."""

from __future__ import annotations

from datetime import timedelta

from engine.casework.external_outbox import INCIDENT
from engine.storage.models import Event
from scheduler import jobs
from tests.engine.test_http_connector import (  # noqa: F401 - the fixtures
    TOKEN,
    _everything_stored,
    _instance,
    _row,
    allowed,
    connector_diagram,
    gateway,
    start,
)


def test_a_refusal_the_mapping_cannot_read_is_an_incident_at_once_and_never_resent(db, ctx, clock, gateway,  # noqa: F811
                                                                                  start):  # noqa: F811
    gateway.status = 403
    missing = '<camunda:outputParameter name="x">${response["missing"]}</camunda:outputParameter>'
    application = start(connector_diagram(f"http://127.0.0.1:{gateway.port}/bills", outputs=missing))
    report = jobs.run_connectors(db.factory, ctx, allowed())
    assert (report.retrying, report.incidents) == (0, 1)
    row = _row(db, application)
    assert row.state == INCIDENT and row.retries == 0
    assert row.error_message.startswith("The server refused the request of step 'bill' with HTTP 403: ")
    assert "output mapping could not read this answer" in row.error_details
    assert _instance(db, application).status == "error"
    clock.advance(timedelta(hours=2))  # far past any back-off: still nothing is sent
    assert jobs.run_connectors(db.factory, ctx, allowed()).incidents == 0
    assert len(gateway.seen) == 1
    with db.transaction() as session:  # a service without a bill records no refused bill
        assert session.query(Event).filter_by(kind="bill_refused").count() == 0
    assert TOKEN not in _everything_stored(db)


def test_a_refusal_the_diagram_maps_goes_on_as_the_diagram_decides(db, ctx, gateway, start):  # noqa: F811
    gateway.status = 404
    application = start(connector_diagram(f"http://127.0.0.1:{gateway.port}/bills"))
    assert jobs.run_connectors(db.factory, ctx, allowed()).completed == 1
    assert _instance(db, application).status == "completed"
    with db.transaction() as session:
        (done,) = session.query(Event).filter_by(kind="external_task_completed").all()
        assert done.data["data"]["status_code"] == 404
