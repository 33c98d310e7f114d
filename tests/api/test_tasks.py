"""The inbox and the work on tasks: claim, unclaim, assign, complete; jurisdictions and races."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.storage.models import Instance
from tests import samples
from tests.api.conftest import apply, complete, open_task, vessel_data
from tests.samples import INSPECTION, REVISION

pytestmark = pytest.mark.usefixtures("deployed")


def _inbox(client, headers, query: str = "") -> dict:
    response = client.get(f"/api/v1/tasks{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _vessel(client, people, regency: str) -> dict:
    owner = people.headers("andi")
    return apply(client, owner, "fishing_vessel_permit", vessel_data(client, owner, regency))


def test_each_officer_sees_the_tasks_of_their_groups_in_their_offices(client, people):
    research = apply(client, people.headers("andi"))
    sinjai = _vessel(client, people, "sinjai")
    bone = _vessel(client, people, "bone")

    def inbox_of(who):
        return sorted(t["application"]["id"] for t in _inbox(client, people.headers(who))["items"])

    assert inbox_of("vera") == [research["id"]]
    assert inbox_of("sinta") == [sinjai["id"]]
    assert inbox_of("bona") == [bone["id"]]
    assert inbox_of("kadis") == [] and inbox_of("andi") == []
    assert inbox_of("supri") == sorted([research["id"], sinjai["id"]])  # sulsel and sinjai, not bone
    item = _inbox(client, people.headers("sinta"))["items"][0]
    assert set(item) >= {"id", "name", "element_id", "application", "candidate_groups", "jurisdiction", "assignee",
                         "state", "created_at", "due_at", "sla_state", "decision_choices"}
    assert item["application"]["registration_no"] == sinjai["registration_no"]


def test_officer_of_bone_can_neither_list_read_claim_nor_complete_a_sinjai_task(client, people):
    sinjai = _vessel(client, people, "sinjai")
    (task,) = sinjai["tasks"]
    bona = people.headers("bona")
    assert _inbox(client, bona)["total"] == 0
    for response in (client.get(f"/api/v1/tasks/{task['id']}", headers=bona),
                     client.post(f"/api/v1/tasks/{task['id']}/claim", headers=bona),
                     complete(client, bona, task["id"], {}, "Rekomendasikan")):
        assert response.status_code == 404
        text = response.get_data(as_text=True)
        assert sinjai["registration_no"] not in text and "Rekomendasi" not in text
    assert open_task(client, people.headers("sinta"), sinjai["id"], "Task_Recommend")["state"] == "ready"


def test_same_office_but_wrong_group_is_forbidden(client, people):
    created = apply(client, people.headers("andi"))
    (task,) = created["tasks"]
    kadis = people.headers("kadis")  # head of office in sulsel, task is for verifiers
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=kadis).status_code == 403
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=kadis).status_code == 403
    assert complete(client, kadis, task["id"], {}, "Setujui").status_code == 403


def test_task_detail_has_the_form_the_data_and_the_choices(client, people):
    created = apply(client, people.headers("andi"))
    (task,) = created["tasks"]
    detail = client.get(f"/api/v1/tasks/{task['id']}", headers=people.headers("vera")).get_json()
    assert detail["form"]["key"] == "research_permit/verify" and "note" in detail["form"]["schema"]["properties"]
    assert detail["data"]["research_title"] == "Kajian mangrove pesisir Sinjai"
    assert detail["decision_choices"] == ["Setujui", "Kembalikan untuk perbaikan", "Tolak"]
    assert detail["revision"] >= 1


def test_claim_then_a_colleague_gets_409_until_unclaimed(client, people):
    (task,) = apply(client, people.headers("andi"))["tasks"]
    vera, veri2 = people.headers("vera"), people.headers("veri2")
    claimed = client.post(f"/api/v1/tasks/{task['id']}/claim", headers=vera)
    assert claimed.status_code == 200 and claimed.get_json()["assignee"] == "vera"
    assert claimed.get_json()["state"] == "claimed"
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=veri2).status_code == 409
    assert complete(client, veri2, task["id"], {}, "Setujui").status_code == 409
    assert client.post(f"/api/v1/tasks/{task['id']}/unclaim", headers=veri2).status_code == 403
    released = client.post(f"/api/v1/tasks/{task['id']}/unclaim", headers=vera)
    assert released.status_code == 200 and released.get_json()["assignee"] is None
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=veri2).status_code == 200


def test_supervisor_assigns_to_an_officer_who_may_work_it(client, people):
    (task,) = apply(client, people.headers("andi"))["tasks"]
    people.headers("vera")
    people.headers("kadis")
    supri = people.headers("supri")
    assigned = client.post(f"/api/v1/tasks/{task['id']}/assign", headers=supri, json={"username": "vera"})
    assert assigned.status_code == 200 and assigned.get_json()["assignee"] == "vera"
    assert _inbox(client, people.headers("vera"), "?assignee=me")["total"] == 1
    wrong = client.post(f"/api/v1/tasks/{task['id']}/assign", headers=supri, json={"username": "kadis"})
    assert wrong.status_code == 422 and "username" in wrong.get_json()["error"]["details"]
    by_officer = client.post(f"/api/v1/tasks/{task['id']}/assign", headers=people.headers("veri2"),
                             json={"username": "veri2"})
    assert by_officer.status_code == 403


def test_complete_with_a_decision_moves_the_application_on(client, people):
    created = apply(client, people.headers("andi"))
    (task,) = created["tasks"]
    response = complete(client, people.headers("vera"), task["id"], {**samples.VERIFIED, "note": "Lengkap"}, "Setujui")
    assert response.status_code == 200
    body = response.get_json()
    assert body["application"]["status"] == "running" and body["application"]["id"] == created["id"]
    assert [t["element_id"] for t in body["tasks"]] == ["Task_Sign"]
    assert body["tasks"][0]["candidate_groups"] == ["head_of_office"]
    done = _inbox(client, people.headers("vera"), "?state=completed")["items"]
    assert [(t["id"], t["decision"], t["completed_by"]) for t in done] == [(task["id"], "Setujui", "vera")]


def test_complete_rejects_invalid_data_and_unknown_decisions_per_field(client, people):
    owner = people.headers("andi")
    sinjai = _vessel(client, people, "sinjai")
    sinta = people.headers("sinta")
    recommend = open_task(client, owner, sinjai["id"], "Task_Recommend")
    missing = complete(client, sinta, recommend["id"], {})
    assert missing.status_code == 422 and "decision" in missing.get_json()["error"]["details"]
    unknown = complete(client, sinta, recommend["id"], {}, "Terima saja")
    assert unknown.status_code == 422 and "Rekomendasikan" in unknown.get_json()["error"]["details"]["decision"]
    assert complete(client, sinta, recommend["id"], {}, "Rekomendasikan").status_code == 200
    inspect = open_task(client, owner, sinjai["id"], "Task_Inspect")
    bad = complete(client, sinta, inspect["id"], {**INSPECTION, "measured_gt": "dua belas"}, "Layak")
    assert bad.status_code == 422 and set(bad.get_json()["error"]["details"]) == {"measured_gt"}
    not_object = client.post(f"/api/v1/tasks/{inspect['id']}/complete", headers=sinta, json={"data": [1]})
    assert not_object.status_code == 422


def test_second_completion_of_the_same_task_is_409_and_changes_nothing(client, people):
    created = apply(client, people.headers("andi"))
    (task,) = created["tasks"]
    vera = people.headers("vera")
    assert complete(client, vera, task["id"], samples.VERIFIED, "Setujui").status_code == 200
    again = complete(client, vera, task["id"], {}, "Tolak")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"
    detail = client.get(f"/api/v1/applications/{created['id']}", headers=vera).get_json()
    assert detail["status"] == "running" and [t["element_id"] for t in detail["tasks"]] == ["Task_Sign"]


def test_stale_expected_revision_is_409(client, people):
    created = apply(client, people.headers("andi"))
    (task,) = created["tasks"]
    vera = people.headers("vera")
    revision = client.get(f"/api/v1/tasks/{task['id']}", headers=vera).get_json()["revision"]
    stale = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=vera,
                        json={"data": {}, "decision": "Setujui", "expected_revision": revision - 1})
    assert stale.status_code == 409
    fresh = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=vera,
                        json={"data": samples.VERIFIED, "decision": "Setujui", "expected_revision": revision})
    assert fresh.status_code == 200


def test_the_applicants_revision_task_is_in_their_inbox_only(client, people):
    andi, budi = people.headers("andi"), people.headers("budi")
    created = apply(client, andi)
    (task,) = created["tasks"]
    complete(client, people.headers("vera"), task["id"], {"note": "KTP buram"}, "Kembalikan untuk perbaikan")
    (revise,) = _inbox(client, andi)["items"]
    assert revise["element_id"] == "Task_Revise" and revise["for_applicant"] and revise["assignee"] == "andi"
    assert _inbox(client, budi)["total"] == 0
    assert _inbox(client, people.headers("vera"))["total"] == 0
    assert complete(client, budi, revise["id"], REVISION).status_code == 404
    assert complete(client, people.headers("vera"), revise["id"], REVISION).status_code == 404
    detail = client.get(f"/api/v1/tasks/{revise['id']}", headers=andi).get_json()
    assert detail["data"]["note"] == "KTP buram"
    back = complete(client, andi, revise["id"], REVISION)
    assert back.status_code == 200 and [t["element_id"] for t in back.get_json()["tasks"]] == ["Task_Verify"]


def test_inbox_filters(client, people, clock):
    research = apply(client, people.headers("andi"))
    clock.advance(timedelta(minutes=5))
    second = apply(client, people.headers("budi"))
    supri = people.headers("supri")
    vera = people.headers("vera")
    client.post(f"/api/v1/tasks/{second['tasks'][0]['id']}/claim", headers=vera)

    def ids(query, who=supri):
        return [t["application"]["id"] for t in _inbox(client, who, query)["items"]]

    assert ids("?service=research_permit") == [research["id"], second["id"]]
    assert ids("?service=fishing_vessel_permit") == []
    assert ids("?assignee=none") == [research["id"]]
    assert ids("?assignee=me", vera) == [second["id"]]
    assert ids("?state=claimed") == [second["id"]] and ids("?state=ready") == [research["id"]]
    assert ids("?q=budi") == [second["id"]]
    assert ids("?q=" + research["registration_no"]) == [research["id"]]
    assert ids("?sla=breached") == []
    assert ids("?sort=created_at") == [research["id"], second["id"]]
    for bad in ("?state=done", "?assignee=someone", "?sort=name", "?limit=500", "?sla=late", "?cursor=%%%"):
        response = client.get(f"/api/v1/tasks{bad}", headers=supri)
        assert response.status_code == 422, bad


def test_inbox_pages_by_cursor_and_by_offset_without_gaps(client, people, clock):
    owner = people.headers("andi")
    created = []
    for _ in range(5):
        created.append(apply(client, owner)["tasks"][0]["id"])
        clock.advance(timedelta(minutes=1))
    vera = people.headers("vera")
    seen, cursor = [], None
    while True:
        page = _inbox(client, vera, "?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        assert page["total"] == 5 and len(page["items"]) <= 2
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == created  # due first, and every task exactly once
    by_offset = _inbox(client, vera, "?limit=2&offset=4")
    assert [t["id"] for t in by_offset["items"]] == created[4:] and by_offset["next_cursor"] is None


def test_inbox_search_matches_the_step_name_and_takes_wildcards_literally(client, people):
    research = apply(client, people.headers("andi"))
    supri = people.headers("supri")
    step = research["tasks"][0]["name"]
    assert [t["id"] for t in _inbox(client, supri, "?q=" + step.upper()[:6])["items"]] == [research["tasks"][0]["id"]]
    assert _inbox(client, supri, "?q=sel/ip/")["total"] == 1  # DPMPTSP-SULSEL/IP/… in the registration number
    for wildcard in ("%25", "sul%25sel", "_ulsel", "s__sel", "\\"):  # as LIKE wildcards each would match
        assert _inbox(client, supri, "?q=" + wildcard)["total"] == 0, wildcard


def test_history_is_newest_first_pages_without_gaps_and_caps_its_count(client, people, clock, monkeypatch):
    vera = people.headers("vera")
    finished = []
    for n in range(5):  # vera's own work and her colleague's: both reasons a finished task is in her history
        (task,) = apply(client, people.headers("andi"))["tasks"]
        who = vera if n % 2 == 0 else people.headers("veri2")
        assert complete(client, who, task["id"], {**samples.VERIFIED, "note": "Lengkap"}, "Setujui").status_code == 200
        finished.append(task["id"])
        clock.advance(timedelta(minutes=1))
    history = _inbox(client, vera, "?state=completed")
    assert [t["id"] for t in history["items"]] == finished[::-1]
    assert history["total"] == 5 and history["total_capped"] is False
    seen, cursor = [], None
    while True:
        page = _inbox(client, vera, "?state=completed&limit=2" + (f"&cursor={cursor}" if cursor else ""))
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == finished[::-1]
    oldest_first = _inbox(client, vera, "?state=completed&sort=created_at")
    assert [t["id"] for t in oldest_first["items"]] == finished
    monkeypatch.setattr("engine.casework.inbox.COUNT_CAP", 2)
    capped = _inbox(client, vera, "?state=completed")
    assert capped["total"] == 2 and capped["total_capped"] is True and len(capped["items"]) == 5
    by_offset = _inbox(client, vera, "?state=completed&limit=2&offset=3")
    assert [t["id"] for t in by_offset["items"]] == finished[::-1][3:]
    assert _inbox(client, vera)["total_capped"] is False


def test_a_big_open_inbox_is_counted_up_to_the_cap(client, people, monkeypatch):
    opened = [apply(client, people.headers("andi"))["tasks"][0]["id"] for _ in range(3)]
    vera = people.headers("vera")
    assert (_inbox(client, vera)["total"], _inbox(client, vera)["total_capped"]) == (3, False)
    monkeypatch.setattr("engine.casework.inbox.COUNT_CAP", 2)
    capped = _inbox(client, vera)
    assert (capped["total"], capped["total_capped"]) == (2, True)
    assert sorted(t["id"] for t in capped["items"]) == sorted(opened)  # the page itself is whole
    assert _inbox(client, vera, "?limit=1")["total_capped"] is True
    monkeypatch.setattr("engine.casework.inbox.COUNT_CAP", 3)
    assert (_inbox(client, vera)["total"], _inbox(client, vera)["total_capped"]) == (3, False)


def test_inbox_is_for_officers_and_applicants(client, people):
    assert client.get("/api/v1/tasks", headers=people.headers("analis")).status_code == 403
    assert client.get("/api/v1/tasks").status_code == 401


def test_unknown_task_is_404(client, people):
    vera = people.headers("vera")
    assert client.get("/api/v1/tasks/0000-nope", headers=vera).status_code == 404
    assert client.post("/api/v1/tasks/0000-nope/claim", headers=vera).status_code == 404


def test_inbox_and_application_list_never_load_a_workflow(client, people, db):
    created = apply(client, people.headers("andi"))
    with db.transaction() as session:
        session.get(Instance, created["id"]).state = "this is not a workflow"
    (item,) = _inbox(client, people.headers("vera"))["items"]
    assert item["application"]["id"] == created["id"]
    listed = client.get("/api/v1/applications", headers=people.headers("vera")).get_json()
    assert [a["id"] for a in listed["items"]] == [created["id"]]
