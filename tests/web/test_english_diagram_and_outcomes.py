"""English pages name what the diagram draws and how a file ended in English, from ``name.en`` on the BPMN's
elements: the diagram viewer gets the English labels (``data-labels``) to write over the stored diagram's names, the
timeline names the end event in English, the service page describes the service in English. Where the analyst gave
no English the Indonesian name stays, marked ``lang="id"``."""

from __future__ import annotations

import json

import pytest

from api.web import bilingual, i18n
from engine.bpmn.compiler import SourceFile
from engine.services import definitions
from tests.conftest import PROJECT_ROOT
from tests.samples import CHECKLIST
from tests.web.conftest import apply, open_task_id, page

pytestmark = pytest.mark.usefixtures("deployed", "people")

RESEARCH = PROJECT_ROOT / "processes" / "research_permit.bpmn"


def _labels(document) -> dict:
    (canvas,) = document.cssselect(".diagram-canvas")
    return json.loads(canvas.get("data-labels") or "{}")


def test_the_english_service_page_passes_english_labels_to_the_diagram_and_describes_the_service(visitor):
    english = page(visitor().english().get("/services/research_permit"))
    labels = _labels(english)
    assert labels["Task_Verify"] == "Verify documents" and labels["Flow_Approve"] == "Approve"
    assert labels["EndEvent_Issued"] == "Research permit issued" and labels["Lane_Head"] == "Head of office"
    lead = english.cssselect("p.lead")[0].text_content()
    assert lead.startswith("Research permit letter for students") and "Surat izin" not in lead
    indonesian = page(visitor().get("/services/research_permit"))
    assert not _labels(indonesian), "an Indonesian page draws the diagram as it is stored"
    assert indonesian.cssselect("p.lead")[0].text_content().startswith("Surat izin")


def test_the_english_application_page_labels_its_diagram_in_english(visitor):
    application_id = apply(visitor("andi"))
    staff_page = page(visitor("vera").english().get(f"/applications/{application_id}"))
    assert _labels(staff_page)["Task_Verify"] == "Verify documents"


def _rejected(visitor, db) -> int:
    application_id = apply(visitor("andi"))
    task_id = open_task_id(db, application_id, "Task_Verify")
    response = visitor("vera").post(f"/tasks/{task_id}", {"_decision": "Tolak", "checklist": CHECKLIST,
                                                          "note": "Surat rekomendasi kampus tidak ada"})
    assert response.status_code == 302
    return application_id


def test_the_english_timeline_names_the_outcome_in_english(visitor, db):
    application_id = _rejected(visitor, db)
    english = page(visitor("andi").english().get(f"/applications/{application_id}"))
    (ended,) = english.cssselect("ol.timeline li.stage-ended")
    assert ended.cssselect("strong")[0].text_content() == "Application rejected"
    assert "Permohonan ditolak" not in ended.text_content()
    indonesian = page(visitor("andi").get(f"/applications/{application_id}"))
    (ended,) = indonesian.cssselect("ol.timeline li.stage-ended")
    assert ended.cssselect("strong")[0].text_content() == "Permohonan ditolak"


def test_an_outcome_without_english_shows_in_indonesian_marked_as_such(visitor, db, ctx):
    untranslated = RESEARCH.read_bytes().replace(
        b'<camunda:property name="name.en" value="Application rejected" />', b"")
    with db.transaction() as session:
        definitions.deploy(session, ctx, SourceFile(RESEARCH.name, untranslated), [],
                           definitions.form_source(ctx, RESEARCH), actor="analis")
    application_id = _rejected(visitor, db)
    english = page(visitor("vera").english().get(f"/applications/{application_id}"))
    (ended,) = english.cssselect("ol.timeline li.stage-ended")
    (marked,) = ended.cssselect("strong span[lang=id]")
    assert marked.text_content() == "Permohonan ditolak"
    assert "EndEvent_Rejected" not in _labels(english), "the diagram keeps the Indonesian name it has"


def test_the_english_procedure_names_the_lane_that_works_a_step_in_english(visitor):
    def who(document, name: str) -> str:
        (item,) = [li for li in document.cssselect("ol.steps li") if li.cssselect("strong")[0].text_content() == name]
        return item.cssselect("span.muted")[0].text_content()

    english = page(visitor().english().get("/services/research_permit"))
    assert who(english, "Revise the application").startswith("— Applicant")
    indonesian = page(visitor().get("/services/research_permit"))
    assert who(indonesian, "Perbaiki permohonan").startswith("— Pemohon")


def test_a_description_without_english_shows_in_indonesian_marked_as_such(visitor, db, ctx):
    untranslated = RESEARCH.read_bytes().replace(b'name="description.en"', b'name="description.xx"')
    with db.transaction() as session:
        definitions.deploy(session, ctx, SourceFile(RESEARCH.name, untranslated), [],
                           definitions.form_source(ctx, RESEARCH), actor="analis")
    english = page(visitor().english().get("/services/research_permit"))
    (marked,) = english.cssselect("p.lead span[lang=id]")
    assert marked.text_content().startswith("Surat izin")
    catalogue = page(visitor().english().get("/services"))
    cards = {card.cssselect("h2 a")[0].get("href"): card for card in catalogue.cssselect("li.card")}
    research, fishing = cards["/services/research_permit"], cards["/services/fishing_vessel_permit"]
    assert research.cssselect("p span[lang=id]")[0].text_content().startswith("Surat izin")
    assert fishing.cssselect("p")[0].text_content().startswith("Fishing permit for")


def test_an_element_that_is_not_a_step_is_named_by_its_diagram_label_in_english(app):
    """A history row may name an event or a system task (a failed service task, a message waited for)."""
    with app.test_request_context("/", headers={"Cookie": f"{i18n.COOKIE}=en"}):
        assert bilingual.step_label("research_permit", "Task_IssueNumber", "Terbitkan nomor izin") == (
            "Issue the permit number")
        assert bilingual.step_label("research_permit", "Task_Verify", "Verifikasi berkas") == "Verify documents"
    with app.test_request_context("/"):
        assert bilingual.step_label("research_permit", "Task_IssueNumber", "Terbitkan nomor izin") == (
            "Terbitkan nomor izin")
