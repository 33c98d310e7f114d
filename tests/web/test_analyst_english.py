"""The analyst's pages in English name steps, choices and outcomes as the version they show gives them in English
(``name.en``): the test run, the publishing page's changes and diagrams, the migration page's choice of steps. A
draft's renamed step without English shows its own Indonesian name marked ``lang="id"``."""

from __future__ import annotations

import json

import pytest

from engine.bpmn.compiler import SourceFile
from engine.services import definitions
from tests.conftest import PROJECT_ROOT
from tests.web.conftest import apply, page
from tests.web.studio_support import studio_people  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("deployed", "studio_people")

BPMN = PROJECT_ROOT / "processes" / "research_permit.bpmn"


@pytest.fixture
def draft_v2(db, ctx):
    """A draft renaming the verification step and dropping its English (an analyst's half-done change)."""
    changed = (BPMN.read_text().replace('name="Verifikasi berkas"', 'name="Verifikasi dokumen"', 1)
               .replace('<camunda:property name="name.en" value="Verify documents" />', ""))
    with db.transaction() as session:
        definitions.deploy(session, ctx, SourceFile(BPMN.name, changed.encode()), [],
                           definitions.form_source(ctx, BPMN), actor="analis", publish=False)


def _step(ana, response, element_id: str, decision: str):
    form = page(response).cssselect(f"form.trial-step[data-element-id={element_id}]")[0]
    fields = {i.get("name"): i.get("value") for i in form.cssselect("input[type=hidden]")}
    fields.update(decision=decision, step_data="{}")
    return ana.post("/analyst/services/research_permit/1/trial", fields)


def test_the_english_test_run_names_steps_choices_and_the_outcome_in_english(visitor):
    ana = visitor("ana").english()
    first = ana.get("/analyst/services/research_permit/1/trial")
    form = page(first).cssselect("form.trial-step[data-element-id=Task_Verify]")[0]
    assert form.cssselect("h3")[0].text_content().startswith("Verify documents")
    assert [(b.get("value"), b.text_content()) for b in form.cssselect("button[name=decision]")] == [
        ("Setujui", "Approve"), ("Kembalikan untuk perbaikan", "Return for revision"), ("Tolak", "Reject")]
    done = page(_step(ana, _step(ana, first, "Task_Verify", "Setujui"), "Task_Sign", "Tandatangani"))
    assert done.cssselect(".trial-outcome")[0].text_content().endswith("Research permit issued")
    path = done.cssselect(".trial-path")[0].text_content()
    assert "Verify documents" in path and "Approve" in path and "Sign the permit" in path
    assert "Verifikasi berkas" not in path and "Setujui" not in path
    labels = json.loads(done.cssselect(".diagram-canvas")[0].get("data-labels"))
    assert labels["Task_Sign"] == "Sign the permit"


def test_the_english_publishing_page_names_each_versions_steps_as_that_version_does(visitor, draft_v2):
    ana = visitor("ana").english()
    (link,) = page(ana.get("/analyst/services/research_permit")).cssselect("a.publish-link")
    html = page(ana.get(link.get("href")))
    (changed,) = html.cssselect("li.diff-changed[data-element-id=Task_Verify]")
    (marked,) = changed.cssselect("strong + span[lang=id]")
    assert marked.text_content() == "Verifikasi dokumen", "the draft's own name, marked as Indonesian"
    current, draft = (json.loads(c.get("data-labels")) for c in html.cssselect(".diagram-canvas"))
    assert current["Task_Verify"] == "Verify documents" and "Task_Verify" not in draft
    assert draft["Task_Sign"] == "Sign the permit"


def test_the_english_migration_page_offers_the_target_versions_steps_in_english(visitor, db, ctx):
    apply(visitor("andi"))
    with db.transaction() as session:
        definitions.deploy(session, ctx, SourceFile(BPMN.name, BPMN.read_text().replace(
            "Verify documents", "Check the documents").encode()), [], definitions.form_source(ctx, BPMN),
            actor="analis")
    html = page(visitor("ana").english().get("/analyst/services/research_permit/migrate"))
    (row,) = html.cssselect("table.migrate-mapping tr[data-element-id=Task_Verify]")
    options = [o.text_content() for o in row.cssselect("option")]
    assert "Check the documents (Task_Verify)" in options and "Sign the permit (Task_Sign)" in options
    assert "Verifikasi berkas (Task_Verify)" not in options
