"""The engine's messages carry their catalogue id and parameters: an Indonesian page gives the same specific reason
as the English API — which form is missing, which field, who holds the task — not a shortened or English one."""

from __future__ import annotations

import io

import pytest

from api.web import formdata
from engine import texts
from engine.casework import tasks
from engine.errors import Conflict, InvalidData
from engine.forms import schemas
from engine.people.access import Actor
from engine.storage.models import User
from tests.conftest import PROJECT_ROOT
from tests.web.conftest import apply, open_task_id, page
from tests.web.studio_support import studio_people  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("deployed", "studio_people")

RESEARCH = (PROJECT_ROOT / "processes" / "research_permit.bpmn").read_text(encoding="utf-8")


def test_a_lint_problem_on_deploy_names_the_missing_form_in_the_analysts_indonesian_studio(visitor):
    xml = RESEARCH.replace('id="research_permit"', 'id="survey_permit"').replace(
        'processRef="research_permit"', 'processRef="survey_permit"').replace(
        'camunda:formKey="research_permit/verify"', 'camunda:formKey="research_permit/nope"')
    response = visitor("ana").post("/analyst/deploy", {"bpmn": (io.BytesIO(xml.encode()), "survey_permit.bpmn")},
                                   headers={"Accept": "application/json"})
    assert response.status_code == 422
    (missing,) = [p for p in response.get_json()["problems"] if p["code"] == "form_missing"]
    assert missing["message"].startswith("Form 'research_permit/nope' was not found: expected a JSON Schema file "
                                         "named 'research_permit/nope.json'")
    assert missing["message_id"].startswith("Formulir 'research_permit/nope' tidak ditemukan: diharapkan berkas "
                                            "JSON Schema bernama 'research_permit/nope.json'")


def test_a_field_error_of_the_engine_reaches_the_apply_page_in_indonesian_and_the_api_in_english(app):
    schema = {"type": "object", "properties": {"email": {"type": "string", "format": "email"}, "nik": {
        "type": "string", "maxLength": 16}}, "required": ["nik"]}
    with pytest.raises(InvalidData) as refused:
        schemas.validate(schema, {"email": "rina@bukan", "kota": "Sinjai"}, what=schemas.APPLICATION_FORM)
    error = refused.value
    assert error.to_dict()["message"] == ("The application form has 3 invalid field(s): email, kota, nik. Correct "
                                          "them and submit again.")
    assert error.to_dict()["details"] == {"email": "Write an e-mail address such as nama@contoh.id.",
                                          "kota": "This form has no such field; leave it out.",
                                          "nik": "This field is required."}
    assert type(error.to_dict()["message"]) is str, "the API's JSON gets plain English strings"
    assert error.localized(texts.INDONESIAN) == ("Ada 3 isian yang tidak valid pada formulir permohonan: email, kota, "
                                                 "nik. Perbaiki lalu kirim lagi.")
    with app.test_request_context("/services/research_permit/apply"):
        shown = {path: formdata.engine_message(message) for path, message in error.details.items()}
    assert shown == {"email": "Tulis alamat e-mail seperti nama@contoh.id.",
                     "kota": "Formulir ini tidak memiliki isian tersebut; hilangkan.", "nik": "Wajib diisi."}


def test_an_officer_whose_completion_is_refused_reads_who_holds_the_task_in_indonesian(visitor, db, ctx):
    application_id = apply(visitor("andi"))
    task_id = open_task_id(db, application_id, "Task_Verify")
    vera, veri2 = visitor("vera"), visitor("veri2")
    vera.post(f"/tasks/{task_id}/claim")
    refused = veri2.post(f"/tasks/{task_id}", {"_decision": "Setujui", "_revision": "1"})
    assert refused.status_code == 409
    (alert,) = page(refused).cssselect(".notice.error[role=alert]")
    assert "Tugas 'Verifikasi berkas' sedang diambil oleh vera. Minta yang bersangkutan atau supervisor untuk " \
           "melepasnya." in " ".join(alert.text_content().split())
    with db.transaction() as session:
        user = session.query(User).filter_by(username="veri2").one()
        with pytest.raises(Conflict) as api_refusal:
            tasks.claim(session, ctx, task_id, Actor.of(user.username, user.roles, user.groups, user.jurisdictions))
    assert api_refusal.value.to_dict()["message"] == "Task 'Verifikasi berkas' is already claimed by vera."


def test_a_password_the_policy_refuses_is_explained_on_the_register_page_in_indonesian(visitor):
    refused = visitor().post("/register", {"full_name": "Siti Rahma", "username": "siti", "password": "12345678"})
    assert refused.status_code == 422
    said = " ".join(page(refused).cssselect("#f-password-error")[0].text_content().split())
    assert "Kata sandi ini termasuk yang paling umum, yang dicoba pertama kali oleh penyerang. Pilih frasa sandi " \
           "dari tiga atau empat kata yang hanya bermakna bagi Anda, misalnya kopi-pagi-di-pelabuhan." in said
    api = visitor().client.post("/api/v1/auth/register", json={"username": "siti", "password": "12345678"})
    assert api.status_code == 422
    assert api.get_json()["error"]["details"]["password"] == (
        "This password is one of the most common ones, which attackers try first. Choose a passphrase of three or "
        "four words that belong together only for you, such as kopi-pagi-di-pelabuhan.")
