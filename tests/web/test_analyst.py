"""The analyst's pages: versions, deploying from the modeler (problems with their elements), publishing, the form
editor's preview by the product's renderer, and the test run — and nobody but analysts may deploy or publish."""

from __future__ import annotations

import io

import orjson
import pytest

from engine.services import definitions
from engine.storage.models import Instance
from tests.conftest import PROJECT_ROOT
from tests.people import add_people
from tests.web.conftest import apply, page, research_form, text_of
from tests.web.studio_support import studio_people  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("deployed", "studio_people")

RESEARCH = (PROJECT_ROOT / "processes" / "research_permit.bpmn").read_text(encoding="utf-8")


def survey_permit(*, without_verify_form: bool = False, bad_form: bool = False) -> str:
    """The research permit drawn in Camunda Modeler, saved as a new service (another process id)."""
    xml = RESEARCH.replace('id="research_permit"', 'id="survey_permit"').replace(
        'processRef="research_permit"', 'processRef="survey_permit"').replace(
        'value="Izin Penelitian"', 'value="Izin Survei"').replace('value="Research Permit"', 'value="Survey Permit"')
    if without_verify_form:
        xml = xml.replace(' camunda:formKey="research_permit/verify"', "")
    if bad_form:
        xml = xml.replace('camunda:formKey="research_permit/verify"', 'camunda:formKey="research_permit/nope"')
    return xml


def deploy(person, xml: str, based_on: str | None = None, name: str = "survey_permit.bpmn",
           based_on_version: int | None = None):
    data = {"bpmn": (io.BytesIO(xml.encode()), name)}
    if based_on:
        data["based_on"] = based_on
    if based_on_version:
        data["based_on_version"] = str(based_on_version)
    return person.post("/analyst/deploy", data, headers={"Accept": "application/json"})


def test_the_versions_page_lists_every_version_with_status_and_who_deployed_it(visitor):
    response = visitor("ana").get("/analyst/services")
    assert response.status_code == 200
    rows = page(response).cssselect("table.versions[data-service=research_permit] tbody tr")
    assert [(r.get("data-version"), r.get("data-status")) for r in rows] == [("1", "published")]
    assert "analis" in rows[0].text_content() and "terbit" in rows[0].text_content()
    assert "Layanan dan versi" in text_of(response)


def test_a_broken_diagram_is_refused_with_problems_naming_their_elements(visitor, db):
    response = deploy(visitor("ana"), survey_permit(bad_form=True))
    assert response.status_code == 422
    body = response.get_json()
    errors = [p for p in body["problems"] if p["severity"] == "error"]
    assert errors and errors[0]["element_id"] == "Task_Verify" and errors[0]["line"]
    assert "galat" in body["message"]
    with db.transaction() as session:
        assert definitions.versions(session, "survey_permit") == []


def test_a_missing_form_key_deploys_as_a_draft_with_a_warning_on_that_task_then_publishes(visitor, db):
    ana = visitor("ana")
    first = deploy(ana, survey_permit(without_verify_form=True))
    assert first.status_code == 200, first.get_data(as_text=True)
    body = first.get_json()
    assert body["definition"]["status"] == "draft" and body["definition"]["version"] == 1
    assert [(p["element_id"], p["code"]) for p in body["problems"]] == [("Task_Verify", "task_without_form")]
    assert visitor("andi").get("/services/survey_permit").status_code == 404, "a draft is not in the catalogue"
    fixed = deploy(ana, survey_permit()).get_json()
    assert fixed["problems"] == [] and fixed["definition"]["version"] == 2
    published = ana.post(fixed["definition"]["publish_url"], headers={"Accept": "application/json"})
    assert published.get_json()["definition"]["status"] == "published"
    application_id = apply(visitor("andi"), "survey_permit", research_form())
    with db.transaction() as session:
        instance = session.get(Instance, application_id)
        assert (instance.service_key, instance.definition.version) == ("survey_permit", 2)


def test_redeploying_the_same_diagram_says_it_is_unchanged(visitor):
    ana = visitor("ana")
    body = deploy(ana, RESEARCH, based_on="research_permit", name="research_permit.bpmn").get_json()
    assert body["created"] is False and body["definition"]["version"] == 1
    assert "Tidak berubah" in body["message"]


@pytest.mark.parametrize("username", ["vera", "andi", "mira"])
def test_only_analysts_deploy_publish_or_open_the_modeler(visitor, username, db):
    person = visitor(username)
    assert deploy(person, survey_permit()).status_code == 403
    assert person.post("/analyst/services/research_permit/1/publish").status_code == 403
    for path in ("/analyst/services", "/analyst/modeler", "/analyst/services/research_permit/1/trial"):
        assert person.get(path).status_code == 403, path
    with db.transaction() as session:
        assert definitions.versions(session, "survey_permit") == []


def test_anonymous_visitors_are_sent_to_sign_in(visitor):
    response = visitor().get("/analyst/modeler")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]


def test_the_modeler_page_carries_its_configuration_and_opens_templates_and_versions(visitor):
    ana = visitor("ana")
    tree = page(ana.get("/analyst/modeler?key=research_permit&version=1"))
    config = orjson.loads(tree.cssselect("#modeler-config")[0].text_content())
    assert config["xmlUrl"] == "/analyst/services/research_permit/1/diagram.bpmn"
    assert config["basedOn"] == "research_permit" and config["lang"] == "id"
    assert config["basedOnVersion"] == 1, "the deploy says when colleagues deployed newer versions meanwhile"
    assert config["texts"]["Lincah (SLA and catalogue)"] == "Lincah (SLA dan katalog)"
    assert ana.get(config["xmlUrl"]).get_data(as_text=True).startswith("<?xml")
    download = ana.get(config["xmlUrl"] + "?download=1")
    assert 'filename="research_permit-v1.bpmn"' in download.headers["Content-Disposition"]
    template = page(ana.get("/analyst/modeler?template=approval"))
    assert orjson.loads(template.cssselect("#modeler-config")[0].text_content())["xmlUrl"] == \
        "/analyst/templates/approval.bpmn"
    assert b"new_permit" in ana.get("/analyst/templates/approval.bpmn").data


def test_a_template_deploys_cleanly(visitor):
    ana = visitor("ana")
    xml = ana.get("/analyst/templates/approval.bpmn").get_data(as_text=True)
    body = ana.post("/analyst/deploy", {"bpmn": (io.BytesIO(xml.encode()), "new_permit.bpmn")},
                    headers={"Accept": "application/json"}).get_json()
    assert body["definition"]["key"] == "new_permit"
    assert {p["code"] for p in body["problems"]} <= {"task_without_form"}


def test_the_form_preview_is_drawn_by_the_products_renderer_and_checks_the_schema(visitor):
    ana = visitor("ana")
    schema = {"type": "object", "required": ["vessel"], "properties": {
        "vessel": {"type": "string", "title": "Nama kapal"},
        "gear": {"type": "string", "enum": ["jaring", "pancing"], "title": "Alat tangkap"}}}
    ui = {"gear": {"ui:widget": "radio"}}
    tree = page(ana.post("/analyst/forms/preview", {"schema": orjson.dumps(schema).decode(),
                                                    "ui_schema": orjson.dumps(ui).decode()}))
    assert tree.cssselect("#form-preview")[0].get("data-valid") == "true"
    assert tree.cssselect("input#f-vessel")[0].get("required") is not None
    assert len(tree.cssselect("input[type=radio][name=gear]")) == 2
    assert tree.xpath("//label[@for='f-vessel']")[0].text_content().startswith("Nama kapal")
    broken = page(ana.post("/analyst/forms/preview", {"schema": '{"type": "strin"}', "ui_schema": ""}))
    assert broken.cssselect("#form-preview")[0].get("data-valid") == "false"
    assert "JSON Schema" in broken.cssselect(".schema-problems")[0].text_content()
    not_json = page(ana.post("/analyst/forms/preview", {"schema": "{", "ui_schema": ""}))
    assert "JSON" in not_json.cssselect(".schema-problems")[0].text_content()


def test_saving_an_edited_form_makes_a_new_draft_that_keeps_the_published_version(visitor, db):
    ana = visitor("ana")
    editor = page(ana.get("/analyst/services/research_permit/1/forms/edit/research_permit/sign"))
    schema = orjson.loads(editor.cssselect("textarea#schema")[0].text_content())
    schema["properties"]["remark"] = {"type": "string", "title": "Catatan"}
    saved = ana.post("/analyst/services/research_permit/1/forms/edit/research_permit/sign",
                     {"schema": orjson.dumps(schema).decode(), "ui_schema": ""})
    assert saved.status_code == 302, text_of(saved)
    with db.transaction() as session:
        versions = definitions.versions(session, "research_permit")
        assert [(d.version, d.status) for d in versions] == [(1, "published"), (2, "draft")]
        form = definitions.form_of(session, versions[1], "research_permit/sign")
        assert "remark" in form.schema["properties"]
        assert "remark" not in definitions.form_of(session, versions[0], "research_permit/sign").schema["properties"]
    invalid = ana.post("/analyst/services/research_permit/1/forms/edit/research_permit/sign",
                       {"schema": '{"type": 5}', "ui_schema": ""})
    assert invalid.status_code == 422


def test_the_test_run_steps_through_decisions_without_creating_an_application(visitor, db):
    ana = visitor("ana")
    first = page(ana.get("/analyst/services/research_permit/1/trial"))
    form = first.cssselect("form.trial-step[data-element-id=Task_Verify]")[0]
    fields = {i.get("name"): i.get("value") for i in form.cssselect("input[type=hidden]")}
    assert [b.get("value") for b in form.cssselect("button[name=decision]")] == [
        "Setujui", "Kembalikan untuk perbaikan", "Tolak"]
    fields.update(decision="Setujui", step_data="{}")
    second = page(ana.post("/analyst/services/research_permit/1/trial", fields))
    sign = second.cssselect("form.trial-step[data-element-id=Task_Sign]")[0]
    fields = {i.get("name"): i.get("value") for i in sign.cssselect("input[type=hidden]")}
    fields.update(decision="Tandatangani", step_data="{}")
    done = page(ana.post("/analyst/services/research_permit/1/trial", fields))
    assert "Izin penelitian terbit" in done.cssselect(".trial-outcome")[0].text_content()
    path = [li.get("data-element-id") for li in done.cssselect(".trial-path li")]
    assert path.index("Task_Verify") < path.index("Task_Sign") < path.index("EndEvent_Issued")
    with db.transaction() as session:
        assert session.query(Instance).count() == 0


def test_a_deploy_over_the_upload_limit_answers_the_modeler_in_json_naming_the_limit(visitor, app):
    ana = visitor("ana")
    too_big = RESEARCH + "<!--" + "x" * (17 * 1024 * 1024) + "-->"
    response = deploy(ana, too_big)
    assert response.status_code == 413 and response.mimetype == "application/json"
    assert response.get_json() == {"problems": [], "message": "Unggahan terlalu besar: paling banyak 16 MB dapat "
                                                             "dikirim sekaligus. Perkecil berkasnya lalu coba lagi."}
    upload = ana.post("/files", {"file": (io.BytesIO(b"%PDF" + b"x" * (17 * 1024 * 1024)), "besar.pdf")})
    assert upload.status_code == 413 and "16 MB" in upload.get_json()["error"]
    page_post = ana.post("/services/research_permit/apply", {"proposal": (io.BytesIO(b"x" * (17 * 1024 * 1024)),
                                                                          "besar.pdf")})
    assert page_post.status_code == 413 and page_post.mimetype == "text/html", "pages keep the HTML error page"


def test_the_test_run_words_sample_data_errors_as_the_apply_page_does_with_field_titles(visitor):
    ana = visitor("ana")
    sample = {**research_form(), "nik": ""}
    sample = {k: v for k, v in sample.items() if not isinstance(v, tuple) and k != "student_id"}
    response = ana.post("/analyst/services/research_permit/1/trial", {"start_data": orjson.dumps(sample).decode()})
    errors = [li.text_content() for li in page(response).cssselect(".trial-start-errors li")]
    assert "NIK: Formatnya tidak sesuai; lihat petunjuk." in errors
    assert "NIM (bagi mahasiswa): Wajib diisi." in errors
    assert "does not match" not in text_of(response) and "This field is required" not in text_of(response)
    english = ana.english().post("/analyst/services/research_permit/1/trial",
                                 {"start_data": orjson.dumps(sample).decode()})
    assert "The format is not right; see the hint." in text_of(english)


def test_two_analysts_changing_a_service_at_once_each_hear_of_the_others_version(visitor, db):
    with db.transaction() as session:
        add_people(session, {"ani": (["analyst"], [], ["*"], "Ani Analis")})
    ana, ani = visitor("ana"), visitor("ani")
    # Both opened version 1 in the modeler; Ana renames the verification, Ani the signature, and both deploy.
    first = deploy(ana, RESEARCH.replace('name="Verifikasi berkas"', 'name="Verifikasi dokumen"'),
                   "research_permit", "research_permit.bpmn", based_on_version=1).get_json()
    second = deploy(ani, RESEARCH.replace('name="Tanda tangan izin"', 'name="Tanda tangan"'),
                    "research_permit", "research_permit.bpmn", based_on_version=1).get_json()
    assert first["definition"]["version"] == 2 and first["meanwhile"] == []
    assert "Perhatian" not in first["message"]
    assert second["definition"]["version"] == 3
    assert second["meanwhile"] == [{"version": 2, "deployed_by": "ana"}]
    assert ("selama Anda menyunting versi 1, v2 (ana) telah dipasang; draf ini dibuat dari versi 1 dan tidak memuat "
            "perubahan tersebut. Buka versi 2 di pemodel") in second["message"]

    # Both publish: each is told which version, and whose, stops taking new applications.
    json = {"Accept": "application/json"}
    published = ana.post("/analyst/services/research_permit/2/publish", headers=json).get_json()
    assert "Versi 1 (dipasang oleh analis) tidak lagi menerima permohonan baru" in published["message"]
    replaced = ani.post("/analyst/services/research_permit/3/publish", headers=json).get_json()
    assert "Versi 2 (dipasang oleh ana) tidak lagi menerima permohonan baru" in replaced["message"]
    with db.transaction() as session:
        assert [(d.version, d.status) for d in definitions.versions(session, "research_permit")] == [
            (1, "retired"), (2, "retired"), (3, "published")]


def test_a_form_the_engine_refuses_says_which_field_is_wrong_in_the_form_editor(visitor, db):
    ana = visitor("ana")
    editor = page(ana.get("/analyst/services/research_permit/1/forms/edit/research_permit/sign"))
    schema = orjson.loads(editor.cssselect("textarea#schema")[0].text_content())
    schema["properties"]["typename"] = {"type": "string", "title": "Jenis"}
    refused = ana.post("/analyst/services/research_permit/1/forms/edit/research_permit/sign",
                       {"schema": orjson.dumps(schema).decode(), "ui_schema": ""})
    assert refused.status_code == 422
    problems = " ".join(e.text_content() for e in page(refused).cssselect(".schema-problems li"))
    assert "Formulir 'research_permit/sign' tidak valid" in problems
    # The engine's specific reason, in the page's language (it was English on Indonesian pages before).
    assert "/properties/typename" in problems and "ganti nama isian itu" in problems, problems
    assert '"typename"' in page(refused).cssselect("textarea#schema")[0].text_content(), "the edit is kept"
    with db.transaction() as session:
        assert len(definitions.versions(session, "research_permit")) == 1
