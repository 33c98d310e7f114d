"""spiff-arena's ``lane_owners``: a script names the people of a lane, and the lane's step goes to them alone — in the
inbox, to claim and to complete; a colleague of the lane's group is refused, saying who has it; names that are no
officer of the step's office are left out and audited; a step left with nobody goes to the office's supervisors."""

from __future__ import annotations

import io
from types import SimpleNamespace

from sqlalchemy import select

from api.web import labels
from engine.casework import lane_owners, migration
from engine.storage.models import Event
from tests.api.conftest import complete
from tests.engine.test_spiff_models import spiff_diagram


def _model(owners: str, key: str = "izin_pemilik") -> bytes:
    return spiff_diagram(f"""
<bpmn:laneSet id="ls">
  <bpmn:lane id="l_loket" name="front_office"><bpmn:flowNodeRef>s</bpmn:flowNodeRef>
    <bpmn:flowNodeRef>tunjuk</bpmn:flowNodeRef></bpmn:lane>
  <bpmn:lane id="l_verif" name="verifier"><bpmn:flowNodeRef>periksa</bpmn:flowNodeRef>
    <bpmn:flowNodeRef>e</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="tunjuk"/>
<bpmn:scriptTask id="tunjuk" name="Tunjuk pemeriksa"><bpmn:script>lane_owners = {{"verifier": {owners}}}</bpmn:script>
</bpmn:scriptTask>
<bpmn:sequenceFlow id="f1" sourceRef="tunjuk" targetRef="periksa"/>
<bpmn:manualTask id="periksa" name="Periksa berkas"/>
<bpmn:sequenceFlow id="f2" sourceRef="periksa" targetRef="e"/><bpmn:endEvent id="e" name="Selesai"/>""",
                         process_id=key).encode()


def _start(client, people, bpmn: bytes, key: str) -> dict:
    for who in ("vera", "veri2", "sinta", "supri"):  # accounts exist before the step names them
        people.headers(who)
    deployed = client.post("/api/v1/definitions?publish=true", headers=people.headers("analis"),
                           data={"bpmn": (io.BytesIO(bpmn), f"{key}.bpmn")}, content_type="multipart/form-data")
    assert deployed.status_code == 201, deployed.get_json()
    started = client.post("/api/v1/applications", headers=people.headers("andi"), json={"service": key, "data": {}})
    assert started.status_code == 201, started.get_json()
    return started.get_json()


def _inbox_ids(client, people, who: str) -> list[str]:
    response = client.get("/api/v1/tasks", headers=people.headers(who))
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def _events(db, instance_id: int) -> dict[str, dict]:
    with db.transaction() as session:
        return {event.kind: event.data for event in session.scalars(
            select(Event).where(Event.instance_id == instance_id,
                                Event.kind.in_([lane_owners.GIVEN, lane_owners.IGNORED])))}


def test_only_the_named_officer_sees_and_completes_the_step_a_colleague_is_refused(client, people, db):
    created = _start(client, people, _model('["veri2", "hantu", "sinta"]'), "izin_pemilik")
    (task,) = created["tasks"]
    assert task["candidate_groups"] == ["person:veri2"]
    assert task["id"] in _inbox_ids(client, people, "veri2")
    assert task["id"] not in _inbox_ids(client, people, "vera")  # same group, same office, not named
    assert task["id"] in _inbox_ids(client, people, "supri")  # the office's supervisor still oversees it
    vera = people.headers("vera")
    for refused in (client.post(f"/api/v1/tasks/{task['id']}/claim", headers=vera),
                    complete(client, vera, task["id"], {})):
        assert refused.status_code == 403
        message = refused.get_json()["error"]["message"]
        assert "by name to veri2 (lane_owners) in sulsel" in message, message
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=vera).status_code == 403
    done = complete(client, people.headers("veri2"), task["id"], {})
    assert done.status_code == 200, done.get_json()
    application = client.get(f"/api/v1/applications/{created['id']}", headers=people.headers("andi")).get_json()
    assert application["status"] == "completed"
    said = _events(db, created["id"])
    assert (said[lane_owners.GIVEN]["lane"], said[lane_owners.GIVEN]["owners"]) == ("verifier", ["veri2"])
    ignored = {entry["name"]: entry["why"] for entry in said[lane_owners.IGNORED]["ignored"]}
    assert ignored == {"hantu": "no active account has this user name", "sinta": "does not work in office sulsel"}


def test_a_step_whose_named_people_are_all_unknown_goes_to_the_supervisors_only(client, people, db):
    created = _start(client, people, _model('["hantu"]', "izin_hantu"), "izin_hantu")
    (task,) = created["tasks"]
    assert task["candidate_groups"] == []
    assert task["id"] not in _inbox_ids(client, people, "vera") + _inbox_ids(client, people, "veri2")
    assert task["id"] in _inbox_ids(client, people, "supri")
    assert "only the office's supervisors" in _events(db, created["id"])[lane_owners.IGNORED]["warning"]


def test_without_lane_owners_for_its_lane_the_step_stays_with_the_lanes_group(client, people, db):
    created = _start(client, people, _model('["veri2"]').replace(b'{"verifier"', b'{"other"'), "izin_pemilik")
    (task,) = created["tasks"]
    assert task["candidate_groups"] == ["verifier"]
    assert task["id"] in _inbox_ids(client, people, "vera")
    assert _events(db, created["id"]) == {}


def test_lint_says_what_lane_owners_does_and_warns_of_a_lane_the_diagram_lacks(client, people):
    bpmn = _model('["veri2"]').replace(b'{"verifier": ["veri2"]}', b'{"verifier": ["veri2"], "Keuangan": []}')
    linted = client.post("/api/v1/lint", headers=people.headers("analis"),
                         data={"bpmn": (io.BytesIO(bpmn), "izin_pemilik.bpmn")},
                         content_type="multipart/form-data").get_json()
    said = {p["code"]: p for p in linted["problems"]}
    assert linted["ok"] is True
    assert (said["spiff_lane_owners"]["severity"], said["spiff_lane_owners"]["element_id"]) == ("info", "tunjuk")
    assert "goes only to the people it lists" in said["spiff_lane_owners"]["message"]
    unknown = said["spiff_lane_owners_lane_unknown"]
    assert unknown["severity"] == "warning" and "'Keuangan'" in unknown["message"]


def test_people_named_reads_only_person_candidates():
    assert lane_owners.people_named(["person:veri2", "verifier", "person:a.b"]) == ["veri2", "a.b"]
    assert labels.group_name("person:veri2") == "veri2"  # pages name the person, not the candidate
    assert lane_owners.named_for({"lane": "verifier", "for_applicant": True}, {"lane_owners": {"verifier": []}}) \
        is None


def test_moving_a_file_to_a_new_version_keeps_a_step_given_by_name_with_its_people():
    target = SimpleNamespace(meta={"tasks": {"periksa": {"element_id": "periksa", "name": "Periksa berkas baru",
                                                         "candidate_groups": ["verifier"], "lane": "verifier"}}})
    row = SimpleNamespace(id="t1", element_id="periksa", name="Periksa berkas", form_key=None,
                          candidate_groups=["person:veri2"], decision_choices=[])
    retitles, groups = migration._retitled(target, {"t1": SimpleNamespace(bpmn_id="periksa")}, [row])
    assert [r["candidate_groups"] for r in retitles] == [["person:veri2"]] and groups == {}


def test_a_lane_that_lane_owners_names_needs_no_group_of_its_name(client, people):
    model = spiff_diagram("""
<bpmn:laneSet id="ls">
  <bpmn:lane id="l_named" name="tim_khusus"><bpmn:flowNodeRef>periksa</bpmn:flowNodeRef></bpmn:lane>
  <bpmn:lane id="l_other" name="tim_lain"><bpmn:flowNodeRef>arsip</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="tunjuk"/>
<bpmn:scriptTask id="tunjuk" name="Tunjuk"><bpmn:script>lane_owners = {"tim_khusus": ["veri2"]}</bpmn:script>
</bpmn:scriptTask>
<bpmn:sequenceFlow id="f1" sourceRef="tunjuk" targetRef="periksa"/>
<bpmn:manualTask id="periksa" name="Periksa berkas"/>
<bpmn:sequenceFlow id="f2" sourceRef="periksa" targetRef="arsip"/>
<bpmn:manualTask id="arsip" name="Arsipkan"/>
<bpmn:sequenceFlow id="f3" sourceRef="arsip" targetRef="e"/><bpmn:endEvent id="e" name="Selesai"/>""",
                          process_id="izin_tim").encode()
    deployed = client.post("/api/v1/definitions", headers=people.headers("analis"),
                           data={"bpmn": (io.BytesIO(model), "izin_tim.bpmn")}, content_type="multipart/form-data")
    assert deployed.status_code == 201, deployed.get_json()
    warned = {(w["element_id"], w["code"]) for w in deployed.get_json()["warnings"]
              if w["code"].startswith("candidate_group")}
    # tim_khusus's step goes to the people lane_owners names (or the supervisors): its group is never asked for.
    assert warned == {("arsip", "candidate_group_unknown")}


def test_a_lane_drawn_in_a_called_file_of_the_model_folder_is_known_to_lane_owners(client, people):
    import json
    import zipfile

    main = spiff_diagram("""
<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="tunjuk"/>
<bpmn:scriptTask id="tunjuk" name="Tunjuk"><bpmn:script>lane_owners = {"tim_anak": ["veri2"], "Keuangan": []}
</bpmn:script></bpmn:scriptTask>
<bpmn:sequenceFlow id="f1" sourceRef="tunjuk" targetRef="panggil"/>
<bpmn:callActivity id="panggil" name="Pemeriksaan" calledElement="anak"/>
<bpmn:sequenceFlow id="f2" sourceRef="panggil" targetRef="e"/><bpmn:endEvent id="e" name="Selesai"/>""",
                         process_id="izin_induk")
    child = spiff_diagram("""
<bpmn:laneSet id="ls"><bpmn:lane id="l_anak" name="tim_anak"><bpmn:flowNodeRef>periksa</bpmn:flowNodeRef>
</bpmn:lane></bpmn:laneSet>
<bpmn:startEvent id="s2"/><bpmn:sequenceFlow id="g0" sourceRef="s2" targetRef="periksa"/>
<bpmn:manualTask id="periksa" name="Periksa berkas"/>
<bpmn:sequenceFlow id="g1" sourceRef="periksa" targetRef="e2"/><bpmn:endEvent id="e2" name="Selesai"/>""",
                          process_id="anak")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("izin_induk.bpmn", main)
        archive.writestr("anak.bpmn", child)
        archive.writestr("process_model.json", json.dumps({"primary_file_name": "izin_induk.bpmn"}))
    linted = client.post("/api/v1/lint", headers=people.headers("analis"),
                         data={"model": (io.BytesIO(buffer.getvalue()), "izin_induk.zip")},
                         content_type="multipart/form-data").get_json()
    unknown = [p["message"] for p in linted["problems"] if p["code"] == "spiff_lane_owners_lane_unknown"]
    # tim_anak is drawn in the called file: only the lane no file has is warned of, listing every file's lanes.
    assert len(unknown) == 1 and "'Keuangan'" in unknown[0] and "tim_anak" in unknown[0], linted["problems"]
