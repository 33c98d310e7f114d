"""How files ended and the survey's comments over HTTP, on the SLA report API's history
(tests/api/test_reports_api.py): A1 and A2 issued, A3 returned, revised by the applicant and rejected."""

from __future__ import annotations

import pytest

from engine.reporting import satisfaction
from tests.api.test_reports_api import _get, history  # noqa: F401 (the fixture)

pytestmark = pytest.mark.usefixtures("deployed")
H = 3600


def test_outcomes_split_issued_and_rejected_and_show_the_applicants_time(client, people, history):  # noqa: F811
    body = _get(client, people.headers("supri"), "/api/v1/reports/outcomes", **{"from": "2026-06-01",
                                                                                 "to": "2026-06-30"})
    (research,) = [row for row in body["files"] if row["service"] == "research_permit"]
    assert (research["issued"], research["rejected"], research["withdrawn"], research["ended"]) == (2, 1, 0, 3)
    assert (research["issued_within_sla"], research["rejected_within_sla"]) == (2, 1)
    assert (research["held_files"], research["held_median_seconds"]) == (1, 14 * H)
    verify = next(row for row in body["steps"] if row["step"] == "Task_Verify")
    assert (verify["approved"], verify["returned"], verify["rejected"]) == (2, 1, 1)
    june_2 = _get(client, people.headers("supri"), "/api/v1/reports/outcomes", **{"from": "2026-06-02",
                                                                                  "to": "2026-06-02"})
    assert [(r["issued"], r["rejected"]) for r in june_2["files"] if r["service"] == "research_permit"] == [(2, 0)]
    assert client.get("/api/v1/reports/outcomes", headers=people.headers("vera")).status_code == 403
    bad = client.get("/api/v1/reports/outcomes?from=kemarin", headers=people.headers("supri"))
    assert bad.status_code == 422


def test_survey_comments_by_rating(client, people, history):  # noqa: F811
    andi = people.headers("andi")
    finished = [a for a in client.get("/api/v1/applications", headers=andi).get_json()["items"]
                if a["status"] == "completed"]
    for application, value, comment in zip(finished, (4, 1), ("Cepat sekali", "Syarat membingungkan"), strict=False):
        answers = dict.fromkeys(satisfaction.CODES, value)
        response = client.post(f"/api/v1/applications/{application['id']}/survey", headers=andi,
                               json={"answers": answers, "comment": comment})
        assert response.status_code in (200, 201), response.get_json()
    supri = people.headers("supri")
    everything = _get(client, supri, "/api/v1/reports/satisfaction/comments")["items"]
    assert sorted(c["text"] for c in everything) == ["Cepat sekali", "Syarat membingungkan"]
    (low,) = _get(client, supri, "/api/v1/reports/satisfaction/comments", rating=1)["items"]
    assert (low["text"], low["rating"], low["mean"]) == ("Syarat membingungkan", 1, 1.0)
    assert client.get("/api/v1/reports/satisfaction/comments?rating=7", headers=supri).status_code == 422


def test_the_satisfaction_index_over_a_period(client, people, history):  # noqa: F811
    andi = people.headers("andi")
    finished = [a for a in client.get("/api/v1/applications", headers=andi).get_json()["items"]
                if a["status"] == "completed"]
    client.post(f"/api/v1/applications/{finished[0]['id']}/survey", headers=andi,
                json={"answers": dict.fromkeys(satisfaction.CODES, 3), "comment": ""})
    supri = people.headers("supri")
    assert _get(client, supri, "/api/v1/reports/satisfaction")["overall"]["responses"] == 1
    assert _get(client, supri, "/api/v1/reports/satisfaction", **{"from": "2020-01-01", "to": "2020-01-31"})[
        "overall"]["responses"] == 0
    assert _get(client, supri, "/api/v1/reports/satisfaction", service="fishing_vessel_permit")[
        "overall"]["responses"] == 0
