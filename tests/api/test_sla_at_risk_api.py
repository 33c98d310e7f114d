"""At risk is read off the clock (engine.sla.risk): crossing the at-risk instant with the test clock, and running no
SLA pass, turns a step at risk in every answer that shows an SLA state — the inbox (items, ``sla=at_risk``), a
task, an application's open tasks, the SLA report's open figures and ``/metrics``.

The research permit's verification has PT4H from Tuesday 2 June 09:00 WITA: at risk at 12:00, due 13:00.
"""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.api.conftest import apply, open_task
from tests.drive import wita

pytestmark = pytest.mark.usefixtures("deployed")


def _states(client, headers, supervisor, application_id: int) -> dict:
    """Every SLA state the API shows for the application's verification step, by where it is shown."""
    task = open_task(client, headers, application_id, "Task_Verify")
    inbox = client.get("/api/v1/tasks", headers=headers).get_json()
    at_risk = client.get("/api/v1/tasks?sla=at_risk", headers=headers).get_json()
    report = client.get("/api/v1/reports/sla?jurisdiction=sulsel", headers=supervisor).get_json()
    (verify,) = [r for r in report["steps"] if r["step"] == "Task_Verify"]
    return {
        "application": task["sla_state"],
        "task": client.get(f"/api/v1/tasks/{task['id']}", headers=headers).get_json()["sla_state"],
        "inbox": {i["id"]: i["sla_state"] for i in inbox["items"]}[task["id"]],
        "inbox at risk": at_risk["total"],
        "report at risk": verify["figures"]["open_at_risk"],
        "metrics at risk": _open_tasks(client, "at_risk"),
        "metrics on track": _open_tasks(client, "on_track"),
    }


def _open_tasks(client, state: str) -> float:
    client.application.extensions["lincah"]["operations"]._value = None  # past the few seconds' cache
    text = client.get("/metrics").get_data(as_text=True)
    return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
               if sample.name == "lincah_open_tasks" and sample.labels.get("sla_state") == state)


def test_crossing_the_at_risk_instant_shows_at_risk_everywhere_without_a_pass(client, people, clock):
    andi, vera, supri = (people.headers(who) for who in ("andi", "vera", "supri"))
    application = apply(client, andi)

    clock.set(wita(2026, 6, 2, 11, 59))
    assert _states(client, vera, supri, application["id"]) == {
        "application": "on_track", "task": "on_track", "inbox": "on_track", "inbox at risk": 0, "report at risk": 0,
        "metrics at risk": 0, "metrics on track": 1}

    clock.set(wita(2026, 6, 2, 12, 0))  # the at-risk instant; the scheduler has not run at all
    assert _states(client, vera, supri, application["id"]) == {
        "application": "at_risk", "task": "at_risk", "inbox": "at_risk", "inbox at risk": 1, "report at risk": 1,
        "metrics at risk": 1, "metrics on track": 0}
