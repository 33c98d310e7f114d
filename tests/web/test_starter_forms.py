"""Starter forms: an analyst who works only on the web names a new form in the modeler, and the deploy that would be
refused with ``form_missing`` makes a draft with a starter form for it instead — when she asks for it, for missing
forms only, never over a form that exists, never for a Camunda-specific form, and only if she is an analyst."""

from __future__ import annotations

import io

import orjson
import pytest

from engine.services import definitions
from tests.conftest import PROJECT_ROOT
from tests.web.conftest import page, text_of
from tests.web.studio_support import studio_people  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("deployed", "studio_people")

RESEARCH = (PROJECT_ROOT / "processes" / "research_permit.bpmn").read_text(encoding="utf-8")
VERIFY_KEY = 'camunda:formKey="research_permit/verify"'
START_KEY = 'camunda:formKey="research_permit/apply"'


def research_permit(*, verify_key: str | None = None, start_key: str | None = None) -> str:
    """The research permit with its verification step (or its start event) naming another form."""
    xml = RESEARCH
    if verify_key is not None:
        xml = xml.replace(VERIFY_KEY, f'camunda:formKey="{verify_key}"')
    if start_key is not None:
        xml = xml.replace(START_KEY, f'camunda:formKey="{start_key}"')
    return xml


def copy_of_the_service(xml: str) -> str:
    """The diagram as another service (its own process id) made from the research permit's forms: a service of its
    own has no letter template, whose fields a new start form would not have (the letter lint refuses that)."""
    return xml.replace('id="research_permit"', 'id="survey_permit"').replace(
        'processRef="research_permit"', 'processRef="survey_permit"')


def deploy(person, xml: str, *, create_missing_forms: bool = False):
    data = {"bpmn": (io.BytesIO(xml.encode()), "research_permit.bpmn"), "based_on": "research_permit"}
    if create_missing_forms:
        data["create_missing_forms"] = "1"
    return person.post("/analyst/deploy", data, headers={"Accept": "application/json"})


def versions(db, key: str = "research_permit") -> list:
    with db.transaction() as session:
        found = definitions.versions(session, key)
        for definition in found:
            definition.bpmn  # noqa: B018 - loaded (it is deferred) while the session is open
        return found


def form(db, version: int, form_key: str, key: str = "research_permit"):
    with db.transaction() as session:
        return definitions.form_of(session, definitions.get_version(session, key, version), form_key)


def test_without_asking_a_new_form_key_is_still_refused_as_a_missing_form(visitor, db):
    response = deploy(visitor("ana"), research_permit(verify_key="research_permit/tembusan"))
    assert response.status_code == 422
    errors = [(p["code"], p["element_id"]) for p in response.get_json()["problems"] if p["severity"] == "error"]
    assert errors == [("form_missing", "Task_Verify")]
    assert [d.version for d in versions(db)] == [1]


def test_asking_for_starter_forms_deploys_a_draft_with_a_starter_for_the_new_form_and_nothing_else_changed(
        visitor, db):
    xml = research_permit(verify_key="research_permit/tembusan")
    response = deploy(visitor("ana"), xml, create_missing_forms=True)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["definition"]["version"], body["definition"]["status"]) == (2, "draft")
    assert body["starter_forms"] == [{
        "key": "research_permit/tembusan",
        "edit_url": "/analyst/services/research_permit/2/forms/edit/research_permit/tembusan"}]
    assert "Formulir awal dibuat: 1" in body["message"]

    first, draft = versions(db)
    assert draft.bpmn == xml
    assert {k: v for k, v in draft.forms.items() if k != "research_permit/tembusan"} == \
        {k: v for k, v in first.forms.items() if k != "research_permit/verify"}
    starter = form(db, 2, "research_permit/tembusan")
    assert starter.schema["title"] == "Verifikasi berkas", "the title is the task's name"
    assert starter.schema["properties"] == {"note": {"type": "string", "title": "Catatan", "maxLength": 2000}}
    assert starter.schema.get("required") == [] and "description" not in starter.schema
    assert starter.ui_schema["note"]["ui:widget"] == "textarea"
    assert draft.meta["tasks"]["Task_Verify"]["decisions"], "the decision stays the task's buttons"


def test_the_starter_form_opens_in_the_form_editor_and_the_forms_page_lists_it(visitor):
    ana = visitor("ana")
    edit_url = deploy(ana, research_permit(verify_key="research_permit/tembusan"),
                      create_missing_forms=True).get_json()["starter_forms"][0]["edit_url"]
    editor = page(ana.get(edit_url))
    schema = orjson.loads(editor.cssselect("textarea#schema")[0].text_content())
    assert schema["title"] == "Verifikasi berkas" and list(schema["properties"]) == ["note"]
    assert editor.cssselect("#form-preview textarea[name=note]")
    forms_page = ana.get("/analyst/services/research_permit/2/forms")
    assert "research_permit/tembusan" in text_of(forms_page)


def test_a_new_start_form_gets_the_services_name_a_note_and_a_description_to_edit_it(visitor, db):
    response = deploy(visitor("ana"), copy_of_the_service(research_permit(start_key="research_permit/daftar")),
                      create_missing_forms=True)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert [f["key"] for f in response.get_json()["starter_forms"]] == ["research_permit/daftar"]
    starter = form(db, 1, "research_permit/daftar", key="survey_permit")
    assert starter.schema["title"] == "Izin Penelitian"
    assert list(starter.schema["properties"]) == ["note"] and starter.schema["required"] == []
    assert "sunting formulir ini" in starter.schema["description"]


def test_a_form_that_exists_is_never_replaced_by_a_starter_not_even_one_edited_on_the_web(visitor, db):
    ana = visitor("ana")
    # A copy: form_of hands out the process-wide cached snapshot, which must not be changed in place.
    edited = orjson.loads(orjson.dumps(form(db, 1, "research_permit/verify").schema))
    edited["properties"]["remark"] = {"type": "string", "title": "Catatan kepala"}
    saved = ana.post("/analyst/services/research_permit/1/forms/edit/research_permit/verify",
                     {"schema": orjson.dumps(edited).decode(), "ui_schema": ""})
    assert saved.status_code == 302, text_of(saved)

    response = deploy(ana, copy_of_the_service(research_permit(start_key="research_permit/daftar")),
                      create_missing_forms=True)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert [f["key"] for f in response.get_json()["starter_forms"]] == ["research_permit/daftar"]
    assert [d.version for d in versions(db)] == [1, 2] and [d.version for d in versions(db, "survey_permit")] == [1]
    assert form(db, 1, "research_permit/verify", key="survey_permit").schema == edited
    for form_key in ("research_permit/revise", "research_permit/sign"):
        assert form(db, 1, form_key, key="survey_permit").schema == form(db, 1, form_key).schema


def test_asking_when_no_form_is_missing_creates_no_starter(visitor, db):
    response = deploy(visitor("ana"), RESEARCH, create_missing_forms=True)
    assert response.status_code == 200
    body = response.get_json()
    assert body["starter_forms"] == [] and body["created"] is False
    assert [d.version for d in versions(db)] == [1]


def test_a_camunda_embedded_form_gets_no_starter_and_the_deploy_is_still_refused_for_it(visitor, db):
    xml = copy_of_the_service(research_permit(verify_key="embedded:app:forms/verify.html",
                                              start_key="research_permit/daftar"))
    response = deploy(visitor("ana"), xml, create_missing_forms=True)
    assert response.status_code == 422
    errors = [(p["code"], p["element_id"]) for p in response.get_json()["problems"] if p["severity"] == "error"]
    assert errors == [("form_unsupported", "Task_Verify")], "the new start form had its starter, the embedded none"
    assert [d.version for d in versions(db)] == [1] and versions(db, "survey_permit") == []


@pytest.mark.parametrize("username", ["vera", "andi", "mira"])
def test_only_analysts_may_ask_for_starter_forms(visitor, username, db):
    response = deploy(visitor(username), research_permit(verify_key="research_permit/tembusan"),
                      create_missing_forms=True)
    assert response.status_code == 403
    assert [d.version for d in versions(db)] == [1]


def test_the_deploy_with_starter_forms_needs_the_sessions_csrf_token_like_any_deploy(visitor, db):
    data = {"bpmn": (io.BytesIO(research_permit(verify_key="research_permit/tembusan").encode()),
                     "research_permit.bpmn"), "based_on": "research_permit", "create_missing_forms": "1"}
    response = visitor("ana").post("/analyst/deploy", data, csrf=False, headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert [d.version for d in versions(db)] == [1]


def test_the_forms_page_says_new_forms_are_made_from_the_modeler(visitor):
    response = visitor("ana").get("/analyst/services/research_permit/1/forms")
    hint = page(response).cssselect(".new-forms-hint")[0]
    assert "Buat formulir awal" in hint.text_content()
    assert hint.cssselect("a")[0].get("href") == "/analyst/modeler?key=research_permit&version=1"


def test_the_modeler_is_given_the_starter_form_words(visitor):
    modeler = page(visitor("ana").get("/analyst/modeler?key=research_permit&version=1"))
    config = orjson.loads(modeler.cssselect("#modeler-config")[0].text_content())
    assert config["texts"]["Create starter form"] == "Buat formulir awal"
    assert modeler.cssselect("#starter-forms-hint") and modeler.cssselect("#starter-forms")
