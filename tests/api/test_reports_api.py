"""The SLA report and the overdue list over HTTP, against a known history built through the API with a frozen clock.

History (WITA; office hours 08:00–16:00; research permit: verify PT4H, sign PT2H, file P1D; fishing permit:
recommend P1D, inspect P2D, file P5D) — the same as tests/engine/test_reports.py, but every step goes through
the HTTP API:

Tue 2 June 09:00  A1 A2 A3 A4 apply (research, sulsel); B1 (fishing, Sinjai) and B2 (fishing, Bone) apply;
                  Vera claims A4's verification
          10:00  A1 verified (1 h, met)         11:00  A1 signed (1 h, met)
          12:00  A3 returned for revision (3 h, met)
          13:00  B1 recommended (4 h, met) — inspection opens in Sinjai
          14:00  A2 verified (5 h, missed)      15:00  A2 signed (1 h, met)
Thu 4 June 08:30  A5 applies
          10:00  A3 revised by the applicant    11:00  A3 rejected (1 h, met)
          11:30  the SLA pass runs: A4 verify (held by Vera) and B2 recommend breached, A5 verify and B1 inspect
                 at risk
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

import pytest

from engine.reporting.reports import CSV_COLUMNS
from tests.api.conftest import apply, complete, open_task, vessel_data
from tests.drive import sla_pass, wita
from tests.samples import REVISION, SIGNATURE, VERIFIED

pytestmark = pytest.mark.usefixtures("deployed")

H = 3600
REPORT = "/api/v1/reports/sla"
OVERDUE = "/api/v1/reports/sla/overdue"


@dataclass
class History:
    a4: int
    b2: int
    a4_verify: str


def _done(response) -> None:
    assert response.status_code == 200, response.get_json()


@pytest.fixture
def history(client, people, db, ctx, clock) -> History:
    andi, vera, kadis, sinta = (people.headers(who) for who in ("andi", "vera", "kadis", "sinta"))

    def at(day: int, hour: int, minute: int = 0) -> None:
        clock.set(wita(2026, 6, day, hour, minute))

    def step(headers, application: dict, element_id: str, data=None, decision=None) -> None:
        task = open_task(client, headers, application["id"], element_id)
        _done(complete(client, headers, task["id"], data, decision))

    at(2, 9)
    a1, a2, a3, a4 = (apply(client, andi) for _ in range(4))
    b1 = apply(client, andi, "fishing_vessel_permit", vessel_data(client, andi, "sinjai"))
    b2 = apply(client, andi, "fishing_vessel_permit", vessel_data(client, andi, "bone"))
    (a4_verify,) = a4["tasks"]
    _done(client.post(f"/api/v1/tasks/{a4_verify['id']}/claim", headers=vera))
    at(2, 10)
    step(vera, a1, "Task_Verify", VERIFIED, "Setujui")
    at(2, 11)
    step(kadis, a1, "Task_Sign", SIGNATURE, "Tandatangani")
    at(2, 12)
    step(vera, a3, "Task_Verify", {"note": "Lengkapi dokumen"}, "Kembalikan untuk perbaikan")
    at(2, 13)
    step(sinta, b1, "Task_Recommend", decision="Rekomendasikan")
    at(2, 14)
    step(vera, a2, "Task_Verify", VERIFIED, "Setujui")
    at(2, 15)
    step(kadis, a2, "Task_Sign", SIGNATURE, "Tandatangani")
    at(4, 8, 30)
    apply(client, andi)
    at(4, 10)
    step(andi, a3, "Task_Revise", REVISION)
    at(4, 11)
    step(vera, a3, "Task_Verify", {"note": "Lengkapi dokumen"}, "Tolak")
    at(4, 11, 30)
    sla_pass(db, ctx)
    return History(a4=a4["id"], b2=b2["id"], a4_verify=a4_verify["id"])


def _get(client, headers, path: str, **query) -> dict:
    response = client.get(path, headers=headers, query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _figures(row: dict) -> tuple:
    f = row["figures"]
    return (f["completed"], f["median_seconds"], f["p90_seconds"], f["within_sla"], f["with_target"],
            f["share_within_sla"], f["open"], f["open_at_risk"], f["open_breached"])


def _inbox_total(client, headers, **query) -> int:
    return _get(client, headers, "/api/v1/tasks", **query)["total"]


# --- who may read it ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [REPORT, OVERDUE])
def test_managers_supervisors_and_admins_may_read_it_nobody_else(client, people, path):
    for who in ("manajer", "supri", "admin"):
        assert client.get(path, headers=people.headers(who)).status_code == 200, who
    for who in ("vera", "analis", "andi"):
        response = client.get(path, headers=people.headers(who))
        assert response.status_code == 403, who
        assert response.get_json()["error"]["code"] == "forbidden"
    anonymous = client.get(path)
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Bearer")


# --- the figures ----------------------------------------------------------------------------------------------------


def test_every_figure_of_the_known_history(client, people, history):
    report = _get(client, people.headers("manajer"), REPORT)
    steps = {(r["service"], r["step"]): r for r in report["steps"]}
    # By service, then in the order a file goes through the steps (recommendation before inspection).
    assert list(steps) == [("fishing_vessel_permit", "Task_Recommend"), ("fishing_vessel_permit", "Task_Inspect"),
                           ("research_permit", "Task_Verify"), ("research_permit", "Task_Sign")]
    verify = steps["research_permit", "Task_Verify"]
    assert (verify["service_name"], verify["step_name"], verify["sla"], verify["jurisdiction"]) == (
        "Izin Penelitian", "Verifikasi berkas", "PT4H", None)
    # durations 1 h, 5 h, 3 h, 1 h: median between 1 h and 3 h; p90 at rank 2.7 between 3 h and 5 h
    assert _figures(verify) == (4, 2 * H, 15840.0, 3, 4, 0.75, 2, 1, 1)
    assert _figures(steps["research_permit", "Task_Sign"]) == (2, H, H, 2, 2, 1.0, 0, 0, 0)
    assert _figures(steps["fishing_vessel_permit", "Task_Recommend"]) == (1, 4 * H, 4 * H, 1, 1, 1.0, 1, 0, 1)
    assert _figures(steps["fishing_vessel_permit", "Task_Inspect"]) == (0, None, None, 0, 0, None, 1, 1, 0)
    files = {r["service"]: r for r in report["files"]}
    assert files["research_permit"]["sla"] == "P1D"
    # files done in 2 h, 6 h and 4 h (the revision wait excluded)
    assert _figures(files["research_permit"]) == (3, 4 * H, 20160.0, 3, 3, 1.0, 2, 0, 1)
    assert _figures(files["fishing_vessel_permit"]) == (0, None, None, 0, 0, None, 2, 0, 0)
    by_office = {(r["jurisdiction"], r["step"]): _figures(r) for r in report["steps_by_jurisdiction"]}
    assert by_office["bone", "Task_Recommend"] == (0, None, None, 0, 0, None, 1, 0, 1)
    assert by_office["sinjai", "Task_Recommend"] == (1, 4 * H, 4 * H, 1, 1, 1.0, 0, 0, 0)
    assert datetime.fromisoformat(report["generated_at"]) == wita(2026, 6, 4, 11, 30)


def test_the_report_agrees_with_the_inbox(client, people, history):
    """A supervisor of Sulsel and Sinjai: what the report counts is exactly what the inbox lists."""
    supri = people.headers("supri")
    report = _get(client, supri, REPORT)
    assert {r["jurisdiction"] for r in report["steps_by_jurisdiction"]} == {"sulsel", "sinjai"}

    def total(rows, name):
        return sum(r["figures"][name] for r in rows)

    steps = report["steps"]
    figures = (total(steps, "open"), total(steps, "open_at_risk"), total(steps, "open_breached"),
               total(steps, "completed"))
    inbox = (_inbox_total(client, supri), _inbox_total(client, supri, sla="at_risk"),
             _inbox_total(client, supri, sla="breached"), _inbox_total(client, supri, state="completed"))
    assert figures == inbox == (3, 2, 1, 7)
    for service in ("research_permit", "fishing_vessel_permit"):
        rows = [r for r in steps if r["service"] == service]
        assert (total(rows, "open"), total(rows, "open_at_risk"), total(rows, "open_breached"),
                total(rows, "completed")) == (
            _inbox_total(client, supri, service=service), _inbox_total(client, supri, service=service, sla="at_risk"),
            _inbox_total(client, supri, service=service, sla="breached"),
            _inbox_total(client, supri, service=service, state="completed")), service
    # Each office's rows add up to the same figures.
    offices = report["steps_by_jurisdiction"]
    assert (total(offices, "open"), total(offices, "open_at_risk"), total(offices, "open_breached"),
            total(offices, "completed")) == figures


def test_filters_by_service_office_and_period(client, people, history):
    manager = people.headers("manajer")
    sinjai = _get(client, manager, REPORT, jurisdiction="sinjai")
    assert {(r["service"], r["step"]) for r in sinjai["steps"]} == {("fishing_vessel_permit", "Task_Recommend"),
                                                                   ("fishing_vessel_permit", "Task_Inspect")}
    assert sinjai["query"]["jurisdiction"] == "sinjai"
    research = _get(client, manager, REPORT, service="research_permit")
    assert {r["service"] for r in research["steps"] + research["files"]} == {"research_permit"}
    # From Tuesday 12:30 to Wednesday inclusive (a day as 'to' counts the whole day): only A2's steps and file.
    period = _get(client, manager, REPORT, **{"from": "2026-06-02T12:30:00+08:00", "to": "2026-06-03"})
    assert datetime.fromisoformat(period["query"]["date_to"]) == wita(2026, 6, 4, 0, 0)
    steps = {r["step"]: _figures(r) for r in period["steps"] if r["service"] == "research_permit"}
    assert steps["Task_Verify"] == (1, 5 * H, 5 * H, 0, 1, 0.0, 2, 1, 1)  # open figures are "now"
    assert steps["Task_Sign"] == (1, H, H, 1, 1, 1.0, 0, 0, 0)
    # Thursday alone, given as dates in office time: A3's rejection (1 h) and A3's whole file.
    thursday = _get(client, manager, REPORT, **{"from": "2026-06-04", "to": "2026-06-04"})
    steps = {r["step"]: _figures(r)[:2] for r in thursday["steps"] if r["service"] == "research_permit"}
    assert steps == {"Task_Verify": (1, H)}  # nothing signed that day and none open: no row
    (file,) = [r for r in thursday["files"] if r["service"] == "research_permit"]
    assert _figures(file)[:2] == (1, 4 * H)
    # A time without offset is office time.
    assert _get(client, manager, REPORT, **{"from": "2026-06-04T00:00", "to": "2026-06-04T23:59"})["steps"] == \
        thursday["steps"]


def test_csv_has_a_header_row_and_the_same_numbers(client, people, history):
    manager = people.headers("manajer")
    report = _get(client, manager, REPORT)
    response = client.get(REPORT, headers=manager, query_string={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and 'filename="sla-report-2026-06-04.csv"' in disposition
    text = response.get_data(as_text=True)
    assert text.splitlines()[0] == ",".join(CSV_COLUMNS)
    rows = list(csv.DictReader(io.StringIO(text)))
    json_rows = ([("step", r) for r in report["steps"]] + [("file", r) for r in report["files"]]
                 + [("step", r) for r in report["steps_by_jurisdiction"]]
                 + [("file", r) for r in report["files_by_jurisdiction"]])
    assert len(rows) == len(json_rows) == 4 + 2 + 5 + 3
    for row, (level, expected) in zip(rows, json_rows, strict=True):
        f = expected["figures"]
        assert (row["level"], row["jurisdiction"], row["service"], row.get("step") or None) == (
            level, expected["jurisdiction"] or "", expected["service"], expected.get("step"))
        assert [int(row[c]) for c in ("completed", "within_sla", "open", "open_at_risk", "open_breached")] == [
            f["completed"], f["within_sla"], f["open"], f["open_at_risk"], f["open_breached"]]
    (verify,) = [r for r in rows if r["step"] == "Task_Verify" and r["jurisdiction"] == ""]
    assert (verify["median_working_hours"], verify["p90_working_hours"], verify["share_within_sla_pct"]) == (
        "2.00", "4.40", "75.0")
    named = client.get(REPORT, headers=manager, query_string={"format": "csv", "service": "research_permit"})
    assert 'filename="sla-report-research_permit-2026-06-04.csv"' in named.headers["Content-Disposition"]
    assert {r["service"] for r in csv.DictReader(io.StringIO(named.get_data(as_text=True)))} == {"research_permit"}


# --- the overdue list -----------------------------------------------------------------------------------------------


def test_overdue_list_oldest_first_with_who_holds_each(client, people, history):
    page = _get(client, people.headers("manajer"), OVERDUE)
    assert page["total"] == 2
    first, second = page["items"]
    assert (first["instance_id"], first["task_id"], first["step"], first["holder"], first["jurisdiction"]) == (
        history.a4, history.a4_verify, "Task_Verify", "vera", "sulsel")
    assert datetime.fromisoformat(first["due_at"]) == wita(2026, 6, 2, 13, 0)
    assert first["overdue_seconds"] == 14.5 * H  # Tue 13–16, Wednesday, Thu 08–11:30
    assert first["registration_no"] and first["applicant_name"] == "Andi Pratama"
    assert (second["instance_id"], second["step"], second["holder"], second["candidate_groups"],
            second["jurisdiction"]) == (history.b2, "Task_Recommend", None, ["regency_fisheries"], "bone")
    assert _get(client, people.headers("manajer"), OVERDUE, limit=1, offset=1)["items"] == [second]
    assert _get(client, people.headers("manajer"), OVERDUE, service="research_permit")["items"] == [first]


def test_overdue_list_is_what_the_inbox_shows_as_breached(client, people, history):
    supri = people.headers("supri")
    page = _get(client, supri, OVERDUE)
    inbox = _get(client, supri, "/api/v1/tasks", sla="breached")
    assert page["total"] == inbox["total"] == 1  # Bone is not Supri's office
    assert [i["task_id"] for i in page["items"]] == [t["id"] for t in inbox["items"]] == [history.a4_verify]


# --- bad filters ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "field"), [
    ({"service": "izin_tidak_ada"}, "service"),
    ({"from": "2026-13-01"}, "from"),
    ({"from": "kemarin"}, "from"),
    ({"to": "0001-01-01"}, "to"),
    ({"from": "2026-06-05", "to": "2026-06-01"}, "to"),
    ({"from": "2026-06-02T10:00:00+08:00", "to": "2026-06-02T10:00:00+08:00"}, "to"),
    ({"format": "xls"}, "format"),
])
def test_bad_report_filters_are_422_naming_the_field(client, people, query, field):
    response = client.get(REPORT, headers=people.headers("manajer"), query_string=query)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert field in error["details"], error
    assert error["message"]


@pytest.mark.parametrize(("query", "field"), [
    ({"service": "izin_tidak_ada"}, "service"), ({"limit": 0}, "limit"), ({"limit": 501}, "limit"),
    ({"offset": -1}, "offset"),
])
def test_bad_overdue_filters_are_422_naming_the_field(client, people, query, field):
    response = client.get(OVERDUE, headers=people.headers("manajer"), query_string=query)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["details"]


@pytest.mark.parametrize("path", [REPORT, OVERDUE])
def test_an_office_the_caller_does_not_serve_is_403(client, people, path):
    response = client.get(path, headers=people.headers("supri"), query_string={"jurisdiction": "bone"})
    assert response.status_code == 403
    error = response.get_json()["error"]
    assert "jurisdiction" in error["details"] and "bone" in error["message"]
    assert client.get(path, headers=people.headers("supri"), query_string={"jurisdiction": "sinjai"}).status_code == 200
    assert client.get(path, headers=people.headers("manajer"), query_string={"jurisdiction": "bone"}).status_code == 200


def test_the_endpoints_are_documented_with_their_parameters(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    report = paths[REPORT]["get"]
    assert {p["name"] for p in report["parameters"]} == {"service", "jurisdiction", "from", "to", "format"}
    assert all(p.get("description") for p in report["parameters"])
    assert set(report["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    assert report["security"] == [{"bearerAuth": []}]
    overdue = paths[OVERDUE]["get"]
    assert {p["name"] for p in overdue["parameters"]} == {"service", "jurisdiction", "limit", "offset"}
