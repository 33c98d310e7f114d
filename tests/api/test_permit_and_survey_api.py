"""Through the API: the issued permit's letter, the applicant's satisfaction survey and the managers' index."""

from __future__ import annotations

import pytest

from engine.reporting import satisfaction
from tests.api.conftest import apply, complete, open_task
from tests.samples import SIGNATURE, VERIFIED

pytestmark = pytest.mark.usefixtures("deployed")


def _issued(client, people) -> int:
    andi, vera, kadis = (people.headers(who) for who in ("andi", "vera", "kadis"))
    application = apply(client, andi)
    assert complete(client, vera, open_task(client, vera, application["id"], "Task_Verify")["id"], VERIFIED,
                    "Setujui").status_code == 200
    assert complete(client, kadis, open_task(client, kadis, application["id"], "Task_Sign")["id"],
                    SIGNATURE, "Tandatangani").status_code == 200
    return application["id"]


def test_the_letter_of_an_issued_permit_and_404_before(client, people):
    andi = people.headers("andi")
    running = apply(client, andi)["id"]
    early = client.get(f"/api/v1/applications/{running}/permit.pdf", headers=andi)
    assert early.status_code == 404 and early.get_json()["error"]["code"] == "not_found"
    issued = _issued(client, people)
    letter = client.get(f"/api/v1/applications/{issued}/permit.pdf", headers=andi)
    assert letter.status_code == 200 and letter.mimetype == "application/pdf" and letter.data.startswith(b"%PDF-")
    assert client.get(f"/api/v1/applications/{issued}/permit.pdf",
                      headers=people.headers("budi")).status_code == 404


def test_the_survey_once_by_the_applicant_and_the_index_for_managers(client, people):
    issued = _issued(client, people)
    andi = people.headers("andi")
    answers = dict.fromkeys(satisfaction.CODES, 4) | {"time": 3}
    wrong = client.post(f"/api/v1/applications/{issued}/survey", headers=andi,
                        json={"answers": {**answers, "time": 7}})
    assert wrong.status_code == 422
    missing = client.post(f"/api/v1/applications/{issued}/survey", headers=andi,
                          json={"answers": {"time": 3}})
    assert missing.status_code == 422 and "cost" in missing.get_json()["error"]["details"]
    answered = client.post(f"/api/v1/applications/{issued}/survey", headers=andi, json={"answers": answers})
    assert answered.status_code == 201 and answered.get_json()["application_id"] == issued
    again = client.post(f"/api/v1/applications/{issued}/survey", headers=andi, json={"answers": answers})
    assert again.status_code == 409
    report = client.get("/api/v1/reports/satisfaction", headers=people.headers("supri")).get_json()
    assert report["overall"]["responses"] == 1 and report["overall"]["ikm"] == 97.22
    assert [(s["service"], s["grade"]) for s in report["services"]] == [("research_permit", "A")]
    assert client.get("/api/v1/reports/satisfaction", headers=andi).status_code == 403
