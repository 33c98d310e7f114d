"""Applying, tracking and cancelling, and who may see which application."""

from __future__ import annotations

import pytest

from tests import samples
from tests.api.conftest import apply, complete, open_task, research_data, upload, vessel_data
from tests.people import PNG

pytestmark = pytest.mark.usefixtures("deployed")


def test_applicant_applies_and_gets_a_registration_number_and_the_first_task(client, people):
    andi = people.headers("andi")
    created = apply(client, andi)
    assert created["status"] == "running"
    assert created["registration_no"] == "DPMPTSP-SULSEL/IP/2026/00001"
    (task,) = created["tasks"]
    assert task["element_id"] == "Task_Verify" and task["candidate_groups"] == ["verifier"]
    assert task["jurisdiction"] == "sulsel" and task["state"] == "ready" and task["assignee"] is None
    assert task["application"] == {"id": created["id"], "registration_no": created["registration_no"],
                                   "service": "research_permit", "applicant_name": "Andi Pratama"}
    assert task["decision_choices"] == ["Setujui", "Kembalikan untuk perbaikan", "Tolak"]
    assert task["due_at"] and task["sla_state"] == "on_track"


def test_invalid_start_data_is_rejected_per_field_and_nothing_is_created(client, people):
    andi = people.headers("andi")
    data = research_data(client, andi, nik="123", email="bukan-email")
    del data["research_title"]
    response = client.post("/api/v1/applications", headers=andi, json={"service": "research_permit", "data": data})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_data"
    assert {"nik", "email", "research_title"} <= set(error["details"])
    assert error["details"]["research_title"] == "This field is required."
    assert client.get("/api/v1/applications", headers=andi).get_json()["total"] == 0


def test_request_shape_errors_are_422_per_field(client, people):
    response = client.post("/api/v1/applications", headers=people.headers("andi"), json={"data": []})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["details"]) == {"service", "data"}


def test_unknown_or_unpublished_service_is_404(client, people):
    response = client.post("/api/v1/applications", headers=people.headers("andi"),
                           json={"service": "izin_tidak_ada", "data": {}})
    assert response.status_code == 404


def test_file_fields_must_reference_the_callers_own_uploads_of_the_accepted_type(client, people):
    andi, budi = people.headers("andi"), people.headers("budi")
    fake = research_data(client, andi, proposal={"id": "att-does-not-exist", "name": "x.pdf"})
    response = client.post("/api/v1/applications", headers=andi, json={"service": "research_permit", "data": fake})
    assert response.status_code == 422 and "proposal" in response.get_json()["error"]["details"]

    budis_file = upload(client, budi, name="punya-budi.pdf")
    stolen = research_data(client, andi, proposal=budis_file)
    response = client.post("/api/v1/applications", headers=andi, json={"service": "research_permit", "data": stolen})
    assert response.status_code == 422 and "yourself" in response.get_json()["error"]["details"]["proposal"]

    picture = upload(client, andi, PNG, "surat.png")
    wrong_type = research_data(client, andi, application_letter=picture)
    response = client.post("/api/v1/applications", headers=andi,
                           json={"service": "research_permit", "data": wrong_type})
    assert response.status_code == 422
    assert "application/pdf" in response.get_json()["error"]["details"]["application_letter"]


def test_a_file_belongs_to_one_application_only(client, people):
    andi = people.headers("andi")
    data = research_data(client, andi)
    apply(client, andi, data=data)
    again = client.post("/api/v1/applications", headers=andi, json={"service": "research_permit", "data": data})
    assert again.status_code == 422 and "another application" in again.get_json()["error"]["details"]["ktp"]


def test_front_office_applies_on_behalf_of_a_registered_applicant(client, people):
    people.headers("andi")  # the applicant has an account
    loket = people.headers("loket")
    created = apply(client, loket, data=research_data(client, loket), applicant="andi")
    detail = client.get(f"/api/v1/applications/{created['id']}", headers=people.headers("andi")).get_json()
    assert detail["applicant"] == "andi" and detail["applicant_name"] == "Andi Pratama"
    assert detail["history"][0]["actor"] == "loket"


def test_front_office_must_name_a_real_applicant_and_serve_the_office(client, people):
    loket = people.headers("loket")
    missing = client.post("/api/v1/applications", headers=loket,
                          json={"service": "research_permit", "data": research_data(client, loket)})
    assert missing.status_code == 422 and "applicant" in missing.get_json()["error"]["details"]
    people.headers("vera")
    not_applicant = client.post("/api/v1/applications", headers=loket, json={
        "service": "research_permit", "data": research_data(client, loket), "applicant": "vera"})
    assert not_applicant.status_code == 422
    people.headers("andi")
    bone_counter = people.headers("loket.bone")
    other_office = client.post("/api/v1/applications", headers=bone_counter, json={
        "service": "fishing_vessel_permit", "data": vessel_data(client, bone_counter, "sinjai"), "applicant": "andi"})
    assert other_office.status_code == 403
    assert client.get("/api/v1/applications", headers=people.headers("sinta")).get_json()["total"] == 0


def test_applicants_cannot_apply_for_someone_else_and_analysts_cannot_apply(client, people):
    people.headers("budi")
    andi = people.headers("andi")
    response = client.post("/api/v1/applications", headers=andi, json={
        "service": "research_permit", "data": research_data(client, andi), "applicant": "budi"})
    assert response.status_code == 403
    analyst = people.headers("analis")
    assert client.post("/api/v1/applications", headers=analyst, json={
        "service": "research_permit", "data": {}}).status_code == 403


def test_an_applicant_sees_only_their_own_applications(client, people):
    andi, budi = people.headers("andi"), people.headers("budi")
    mine = apply(client, andi)
    theirs = apply(client, budi)
    listed = client.get("/api/v1/applications", headers=andi).get_json()
    assert [a["id"] for a in listed["items"]] == [mine["id"]] and listed["total"] == 1
    hidden = client.get(f"/api/v1/applications/{theirs['id']}", headers=andi)
    assert hidden.status_code == 404 and theirs["registration_no"] not in hidden.get_data(as_text=True)
    assert client.post(f"/api/v1/applications/{theirs['id']}/cancel", headers=andi).status_code == 404


def test_officers_see_the_applications_of_their_offices_only(client, people):
    nelayan = people.headers("andi")
    sinjai = apply(client, nelayan, "fishing_vessel_permit", vessel_data(client, nelayan, "sinjai"))
    bone = apply(client, nelayan, "fishing_vessel_permit", vessel_data(client, nelayan, "bone"))
    bona = people.headers("bona")
    listed = client.get("/api/v1/applications", headers=bona).get_json()
    assert [a["id"] for a in listed["items"]] == [bone["id"]]
    response = client.get(f"/api/v1/applications/{sinjai['id']}", headers=bona)
    assert response.status_code == 404 and "sinjai" not in response.get_data(as_text=True).lower()
    assert client.get(f"/api/v1/applications/{sinjai['id']}", headers=people.headers("sinta")).status_code == 200
    admin_sees = client.get("/api/v1/applications", headers=people.headers("admin")).get_json()
    assert admin_sees["total"] == 2


def test_detail_shows_status_data_open_tasks_and_history(client, people):
    andi = people.headers("andi")
    created = apply(client, andi)
    task = open_task(client, andi, created["id"], "Task_Verify")
    complete(client, people.headers("vera"), task["id"], {**samples.VERIFIED, "note": "Lengkap"}, "Setujui")
    sign = open_task(client, andi, created["id"], "Task_Sign")
    complete(client, people.headers("kadis"), sign["id"], {}, "Tandatangani")
    detail = client.get(f"/api/v1/applications/{created['id']}", headers=andi).get_json()
    assert detail["status"] == "completed" and detail["outcome"] == "Izin penelitian terbit"
    assert detail["service"] == "research_permit" and detail["version"] == 1
    assert detail["data"]["permit_number"].startswith("503/00001/IP/") and detail["data"]["nik"]
    assert detail["tasks"] == []
    assert [(e["kind"], e["actor"]) for e in detail["history"]] == [
        ("started", "andi"), ("task_completed", "vera"), ("decision", "vera"),
        ("permit_number_reserved", "kadis"), ("letter_issued", "kadis"), ("letter_signed", "kadis"),
        ("task_completed", "kadis"), ("decision", "kadis"), ("completed", "kadis")]
    assert all(e["at"] for e in detail["history"])


def test_list_filters_and_paging(client, people):
    andi = people.headers("andi")
    first = apply(client, andi)
    second = apply(client, andi, "fishing_vessel_permit", vessel_data(client, andi))
    third = apply(client, andi)
    client.post(f"/api/v1/applications/{third['id']}/cancel", headers=andi, json={"reason": "Salah isi"})
    admin = people.headers("admin")

    def ids(query):
        return [a["id"] for a in client.get(f"/api/v1/applications?{query}", headers=admin).get_json()["items"]]

    assert ids("service=research_permit") == [third["id"], first["id"]]
    assert ids("status=cancelled") == [third["id"]]
    assert ids("q=" + second["registration_no"].upper()) == [second["id"]]
    assert set(ids("q=andi")) == {first["id"], second["id"], third["id"]}
    page = client.get("/api/v1/applications?limit=2&offset=2", headers=admin).get_json()
    assert page["total"] == 3 and [a["id"] for a in page["items"]] == [first["id"]]
    assert client.get("/api/v1/applications?status=weird", headers=admin).status_code == 422
    assert client.get("/api/v1/applications?limit=0", headers=admin).status_code == 422


def test_owner_withdraws_before_a_decision_but_not_after(client, people):
    andi = people.headers("andi")
    early = apply(client, andi)
    withdrawn = client.post(f"/api/v1/applications/{early['id']}/cancel", headers=andi, json={"reason": "Batal"})
    assert withdrawn.status_code == 200 and withdrawn.get_json()["status"] == "cancelled"
    assert client.get("/api/v1/tasks", headers=people.headers("vera")).get_json()["total"] == 0

    late = apply(client, andi)
    task = open_task(client, andi, late["id"], "Task_Verify")
    complete(client, people.headers("vera"), task["id"], samples.VERIFIED, "Setujui")
    refused = client.post(f"/api/v1/applications/{late['id']}/cancel", headers=andi)
    assert refused.status_code == 409
    by_supervisor = client.post(f"/api/v1/applications/{late['id']}/cancel", headers=people.headers("supri"),
                                json={"reason": "Permintaan pemohon"})
    assert by_supervisor.status_code == 200 and by_supervisor.get_json()["status"] == "cancelled"
    assert client.post(f"/api/v1/applications/{late['id']}/cancel", headers=andi).status_code == 409


def test_officers_cannot_cancel(client, people):
    created = apply(client, people.headers("andi"))
    response = client.post(f"/api/v1/applications/{created['id']}/cancel", headers=people.headers("vera"))
    assert response.status_code == 403


def test_the_office_cancels_only_with_a_reason_which_the_applicant_is_told(client, people):
    andi, supri = people.headers("andi"), people.headers("supri")
    created = apply(client, andi)
    refused = client.post(f"/api/v1/applications/{created['id']}/cancel", headers=supri, json={"reason": " "})
    assert refused.status_code == 422 and "reason" in refused.get_json()["error"]["details"]
    assert client.get(f"/api/v1/applications/{created['id']}", headers=andi).get_json()["status"] == "running"
    done = client.post(f"/api/v1/applications/{created['id']}/cancel", headers=supri,
                       json={"reason": "Berkas ganda."})
    assert done.status_code == 200 and done.get_json()["status"] == "cancelled"
    told = [n for n in client.get("/api/v1/notifications", headers=andi).get_json()["items"]
            if n["kind"] == "application_cancelled"]
    assert len(told) == 1 and "Alasan: Berkas ganda." in told[0]["body"] and "Reason: Berkas ganda." in told[0]["body"]
