"""Analysts deploy, lint, version and publish services over HTTP; the public catalogue shows what is published."""

from __future__ import annotations

import io

import orjson
import pytest

from tests.engine.conftest import diagram

DIAGRAM = diagram("""
    <bpmn:extensionElements><camunda:properties>
      <camunda:property name="name.id" value="Izin Uji" /><camunda:property name="name.en" value="Test Permit" />
      <camunda:property name="fee" value="0" /><camunda:property name="sla" value="P2D" />
    </camunda:properties></bpmn:extensionElements>
    <bpmn:startEvent id="start" camunda:formKey="uji/apply"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="review"/>
    <bpmn:userTask id="review" name="Periksa" camunda:formKey="uji/review" camunda:candidateGroups="verifier"/>
    <bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw"/>
    <bpmn:sequenceFlow id="yes" name="Setujui" sourceRef="gw" targetRef="ok"/>
    <bpmn:sequenceFlow id="no" name="Tolak" sourceRef="gw" targetRef="rejected"/>
    <bpmn:endEvent id="ok" name="Terbit"><bpmn:extensionElements><camunda:properties>
      <camunda:property name="name.en" value="Issued" /></camunda:properties></bpmn:extensionElements></bpmn:endEvent>
    <bpmn:endEvent id="rejected" name="Ditolak"><bpmn:extensionElements><camunda:properties>
      <camunda:property name="name.en" value="Rejected" /></camunda:properties></bpmn:extensionElements>
    </bpmn:endEvent>""", process_id="izin_uji")
APPLY_FORM = {"type": "object", "properties": {"nama": {"type": "string", "minLength": 3}}, "required": ["nama"]}
REVIEW_FORM = {"type": "object", "properties": {"note": {"type": "string"}}}


def _files(bpmn: bytes | str = DIAGRAM, name: str = "izin_uji.bpmn", forms: dict | None = None) -> dict:
    data = {"bpmn": [(io.BytesIO(bpmn.encode() if isinstance(bpmn, str) else bpmn), name)]}
    if forms is None:
        forms = {"uji/apply.json": APPLY_FORM, "review.json": REVIEW_FORM}
    data["forms"] = [(io.BytesIO(orjson.dumps(schema)), filename) for filename, schema in forms.items()]
    return data


def _deploy(client, headers, query: str = "", **kwargs):
    return client.post(f"/api/v1/definitions{query}", headers=headers, data=_files(**kwargs),
                       content_type="multipart/form-data")


def test_analyst_deploys_a_diagram_with_its_form_parts_as_a_draft_version(client, people):
    analyst = people.headers("analis")
    people.headers("vera")  # an officer of the diagram's group: no warning that its step waits in nobody's inbox
    response = _deploy(client, analyst)
    assert response.status_code == 201, response.get_json()
    assert response.get_json() == {"key": "izin_uji", "version": 1, "status": "draft", "created": True,
                                   "warnings": []}
    versions = client.get("/api/v1/definitions/izin_uji", headers=analyst).get_json()
    assert [(v["version"], v["status"], v["deployed_by"]) for v in versions] == [(1, "draft", "analis")]
    assert client.get("/api/v1/services/izin_uji").status_code == 404  # a draft is not public


def test_redeploying_identical_content_returns_the_existing_version(client, people):
    analyst = people.headers("analis")
    _deploy(client, analyst)
    again = _deploy(client, analyst)
    assert again.status_code == 200 and again.get_json()["created"] is False and again.get_json()["version"] == 1
    changed = _deploy(client, analyst, forms={"uji/apply.json": {**APPLY_FORM, "title": "Baru"},
                                              "review.json": REVIEW_FORM})
    assert changed.status_code == 201 and changed.get_json()["version"] == 2


def test_publish_at_once_and_later_and_the_catalogue_follows(client, people):
    analyst = people.headers("analis")
    assert _deploy(client, analyst, "?publish=true").get_json()["status"] == "published"
    _deploy(client, analyst, forms={"uji/apply.json": {**APPLY_FORM, "title": "v2"}, "review.json": REVIEW_FORM})
    assert client.get("/api/v1/services/izin_uji").get_json()["version"] == 1
    published = client.post("/api/v1/definitions/izin_uji/2/publish", headers=analyst)
    assert published.status_code == 200 and published.get_json()["status"] == "published"
    service = client.get("/api/v1/services/izin_uji").get_json()
    assert service["version"] == 2 and service["start_form"]["schema"]["title"] == "v2"
    assert service["names"] == {"id": "Izin Uji", "en": "Test Permit"} and service["sla"] == "P2D"
    statuses = [(v["version"], v["status"]) for v in client.get("/api/v1/definitions", headers=analyst).get_json()]
    assert statuses == [(1, "retired"), (2, "published")]
    assert client.post("/api/v1/definitions/izin_uji/9/publish", headers=analyst).status_code == 404


def test_catalogue_lists_the_real_services_with_their_published_components(client, deployed):
    services = {s["key"]: s for s in client.get("/api/v1/services").get_json()}
    assert set(services) == {"research_permit", "fishing_vessel_permit"}
    research = services["research_permit"]
    assert research["names"]["id"] == "Izin Penelitian" and research["fee"] == "0"
    assert len(research["requirements"]["id"]) == 6 and research["output"]["en"]
    detail = client.get("/api/v1/services/research_permit").get_json()
    assert detail["start_form"]["key"] == "research_permit/apply"
    assert "nik" in detail["start_form"]["schema"]["properties"] and detail["start_form"]["ui_schema"]
    missing = client.get("/api/v1/services/no_such_service")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


def test_bad_bpmn_is_rejected_with_problems_that_name_elements_and_lines(client, people):
    broken = DIAGRAM.replace('camunda:candidateGroups="verifier"/>', 'camunda:candidateGroups="verifier">'
                             '<bpmn:extensionElements><camunda:properties><camunda:property name="sla" '
                             'value="kapan-kapan"/></camunda:properties></bpmn:extensionElements></bpmn:userTask>')
    response = _deploy(client, people.headers("analis"), bpmn=broken)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_definition" and error["problems"] == error["details"]
    (problem,) = error["problems"]
    review_line = next(n for n, line in enumerate(broken.splitlines(), 1) if 'id="review"' in line)
    assert (problem["code"], problem["element_id"], problem["line"]) == ("sla_invalid", "review", review_line)
    assert problem["severity"] == "error" and "kapan-kapan" in problem["message"]
    assert client.get("/api/v1/definitions", headers=people.headers("analis")).get_json() == []


def test_missing_form_part_is_a_located_problem(client, people):
    response = _deploy(client, people.headers("analis"), forms={"uji/apply.json": APPLY_FORM})
    assert response.status_code == 422
    assert any(p["element_id"] == "review" and "uji/review" in p["message"]
               for p in response.get_json()["error"]["problems"])


def test_xxe_file_from_the_corpus_is_refused(client, corpus, people):
    (path,) = sorted((corpus / "spiff-arena-tests" / "data" / "xml_with_entity").glob("*.bpmn"))[:1]
    response = _deploy(client, people.headers("analis"), bpmn=path.read_bytes(), name=path.name)
    assert response.status_code == 422
    (problem,) = response.get_json()["error"]["problems"]
    assert problem["code"] == "xml_doctype" and problem["line"] >= 1


def test_lint_only_checks(client, people):
    analyst = people.headers("analis")
    ok = client.post("/api/v1/lint", headers=analyst, data=_files(), content_type="multipart/form-data")
    assert ok.status_code == 200 and ok.get_json() == {"key": "izin_uji", "ok": True, "flavour": "camunda",
                                                 "problems": []}
    bad = client.post("/api/v1/lint", headers=analyst, content_type="multipart/form-data",
                      data=_files(bpmn=DIAGRAM.replace('targetRef="ok"', 'targetRef="nowhere"')))
    assert bad.status_code == 200 and bad.get_json()["ok"] is False and bad.get_json()["problems"]
    assert client.get("/api/v1/definitions", headers=analyst).get_json() == []


def test_deploy_needs_a_bpmn_part_and_multipart(client, people):
    analyst = people.headers("analis")
    no_file = client.post("/api/v1/definitions", headers=analyst, data={"forms": []},
                          content_type="multipart/form-data")
    assert no_file.status_code == 422 and "bpmn" in no_file.get_json()["error"]["details"]
    as_json = client.post("/api/v1/definitions", headers=analyst, json={"bpmn": DIAGRAM})
    assert as_json.status_code == 415 and as_json.get_json()["error"]["code"] == "unsupported_media_type"
    binary_form = client.post("/api/v1/definitions", headers=analyst, content_type="multipart/form-data",
                              data={"bpmn": [(io.BytesIO(DIAGRAM.encode()), "a.bpmn")],
                                    "forms": [(io.BytesIO(b"\xff\xfe\x00"), "apply.json")]})
    assert binary_form.status_code == 422 and "forms" in binary_form.get_json()["error"]["details"]


@pytest.mark.parametrize("who", ["andi", "vera", "manajer", "supri"])
def test_only_analysts_deploy_lint_list_and_publish(client, people, who):
    headers = people.headers(who)
    assert _deploy(client, headers).status_code == 403
    assert client.post("/api/v1/lint", headers=headers, data=_files(),
                       content_type="multipart/form-data").status_code == 403
    assert client.get("/api/v1/definitions", headers=headers).status_code == 403
    assert client.post("/api/v1/definitions/izin_uji/1/publish", headers=headers).status_code == 403


def test_admin_passes_the_analyst_gate_and_anonymous_gets_401(client, people):
    assert _deploy(client, people.headers("admin")).status_code == 201
    assert _deploy(client, {}).status_code == 401


def test_bpmn_xml_is_readable_by_analysts_and_officers_only(client, people):
    _deploy(client, people.headers("analis"))
    for who in ("analis", "vera", "supri"):
        response = client.get("/api/v1/definitions/izin_uji/1/bpmn", headers=people.headers(who))
        assert response.status_code == 200 and response.mimetype == "application/xml"
        assert response.data.decode() == DIAGRAM
    assert client.get("/api/v1/definitions/izin_uji/1/bpmn", headers=people.headers("andi")).status_code == 403
    assert client.get("/api/v1/definitions/izin_uji/7/bpmn", headers=people.headers("vera")).status_code == 404
