"""Both languages everywhere: step names, decision labels and service names come in English from the BPMN's
``name.en`` when the page is in English, and show the Indonesian name marked ``lang="id"`` when the analyst gave
none. The decision buttons still send the Indonesian choice the engine routes on."""

from __future__ import annotations

import pytest

from engine.bpmn.compiler import SourceFile
from engine.services import definitions
from engine.storage.models import Instance
from tests.conftest import PROJECT_ROOT
from tests.samples import CHECKLIST
from tests.web.conftest import apply, open_task_id, page
from tests.web.studio_support import seed_history, studio_people  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("deployed", "people")


def test_the_english_inbox_and_task_page_name_the_step_and_the_decisions_in_english(visitor, db):
    application_id = apply(visitor("andi"))
    task_id = open_task_id(db, application_id, "Task_Verify")
    vera = visitor("vera").english()
    inbox = page(vera.get("/inbox"))
    (row,) = inbox.cssselect("table.inbox tbody tr")
    assert row.cssselect("td")[1].text_content().strip() == "Verify documents"
    assert "Research Permit" in row.text_content()
    task_page = page(vera.get(f"/tasks/{task_id}"))
    assert task_page.cssselect("h1")[0].text_content().startswith("Verify documents")
    buttons = task_page.cssselect("button[name=_decision]")
    assert [(b.get("value"), b.text_content()) for b in buttons] == [
        ("Setujui", "Approve"), ("Kembalikan untuk perbaikan", "Return for revision"), ("Tolak", "Reject")]
    procedure = " ".join(task_page.cssselect("ol.steps")[0].text_content().split())
    assert "Verify documents" in procedure and "Approve / Return for revision / Reject" in procedure
    assert "Sign the permit" in procedure and "Verifikasi" not in procedure
    assert not task_page.cssselect("span[lang=id]"), "every step of the service has its English name"


def test_the_indonesian_pages_keep_the_diagrams_names(visitor, db):
    task_id = open_task_id(db, apply(visitor("andi")), "Task_Verify")
    task_page = page(visitor("vera").get(f"/tasks/{task_id}"))
    assert task_page.cssselect("h1")[0].text_content().startswith("Verifikasi berkas")
    assert [b.text_content() for b in task_page.cssselect("button[name=_decision]")] == [
        "Setujui", "Kembalikan untuk perbaikan", "Tolak"]


def test_the_english_button_sends_the_indonesian_choice_and_the_history_reads_in_english(visitor, db):
    application_id = apply(visitor("andi"))
    task_id = open_task_id(db, application_id, "Task_Verify")
    vera = visitor("vera").english()
    response = vera.post(f"/tasks/{task_id}", {"_decision": "Setujui", "checklist": CHECKLIST})
    assert response.status_code == 302
    assert open_task_id(db, application_id, "Task_Sign"), "the approval routed the file to the signature"
    mine = page(visitor("andi").english().get(f"/applications/{application_id}"))
    timeline = mine.cssselect("ol.timeline")[0].text_content()
    assert "Verify documents" in timeline and "Approve" in timeline and "Setujui" not in timeline
    assert "Sign the permit" in timeline


def test_a_step_without_english_shows_its_indonesian_name_marked_as_indonesian(visitor, db, ctx):
    path = PROJECT_ROOT / "processes" / "research_permit.bpmn"
    untranslated = path.read_bytes().replace(b'<camunda:property name="name.en" value="Verify documents" />', b"")
    with db.transaction() as session:
        definitions.deploy(session, ctx, SourceFile(path.name, untranslated), [],
                           definitions.form_source(ctx, path), actor="analis")
    application_id = apply(visitor("andi"))
    with db.transaction() as session:
        assert session.get(Instance, application_id).definition.version == 2
    inbox = page(visitor("vera").english().get("/inbox"))
    (row,) = inbox.cssselect("table.inbox tbody tr")
    (marked,) = row.cssselect("td")[1].cssselect("span[lang=id]")
    assert marked.text_content() == "Verifikasi berkas"
    task_page = page(visitor("vera").english().get(f"/tasks/{open_task_id(db, application_id, 'Task_Verify')}"))
    assert task_page.cssselect("h1 span[lang=id]")[0].text_content() == "Verifikasi berkas"
    assert "<span" not in task_page.cssselect("title")[0].text_content(), "the window title is plain text"


@pytest.mark.usefixtures("studio_people")
def test_the_english_dashboard_names_services_and_steps_in_english(visitor, db, ctx, clock):
    seed_history(db, ctx, clock)
    english = page(visitor("mira").english().get("/manager"))
    kpis = [k.text_content() for k in english.cssselect(".kpi-name")]
    assert "Research Permit" in kpis and "Fishing Vessel Permit (SIPI)" in kpis
    assert "Izin Penelitian" not in english.text_content()
    assert "Verify documents" in english.text_content()
    indonesian = page(visitor("mira").get("/manager"))
    assert "Izin Penelitian" in [k.text_content() for k in indonesian.cssselect(".kpi-name")]
