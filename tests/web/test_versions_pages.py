"""Changing a service while files run, from the analyst's pages: publishing shows what changes and the
applications running on the version in force, and asks why; the migration page plans, dry-runs and moves."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.bpmn.compiler import SourceFile
from engine.services import definitions
from engine.storage.models import Event, Instance
from tests.conftest import PROJECT_ROOT
from tests.web.conftest import apply, page, text_of
from tests.web.studio_support import studio_people  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("deployed", "studio_people")

BPMN = PROJECT_ROOT / "processes" / "research_permit.bpmn"


@pytest.fixture
def draft_v2(db, ctx):
    changed = BPMN.read_text().replace('name="Verifikasi berkas"', 'name="Verifikasi dokumen"', 1)
    with db.transaction() as session:
        definitions.deploy(session, ctx, SourceFile(BPMN.name, changed.encode()), [],
                           definitions.form_source(ctx, BPMN), actor="analis", publish=False)


def test_publishing_shows_the_changes_and_the_running_applications_and_records_why(visitor, db, draft_v2):
    applicant = visitor("andi")
    apply(applicant)
    apply(applicant)
    ana = visitor("ana")
    versions = page(ana.get("/analyst/services/research_permit"))
    (link,) = versions.cssselect("a.publish-link")
    shown = ana.get(link.get("href"))
    assert shown.status_code == 200
    html = page(shown)
    (changed,) = html.cssselect("li.diff-changed[data-element-id=Task_Verify]")
    assert "Verifikasi berkas" in changed.text_content() and "Verifikasi dokumen" in changed.text_content()
    (running,) = html.cssselect("table.running-per-step tr[data-element-id=Task_Verify]")
    assert running.cssselect("td")[1].text_content() == "2"
    confirm = html.cssselect("form.publish-confirm")[0].get("action")
    without_reason = ana.post(confirm, {"reason": "  "})
    assert without_reason.status_code == 302
    with db.transaction() as session:
        assert definitions.get_version(session, "research_permit", 2).status == "draft"
    assert ana.post(confirm, {"reason": "Nama langkah sesuai Perbup 2026"}).status_code == 302
    with db.transaction() as session:
        assert definitions.get_version(session, "research_permit", 2).status == "published"
        (event,) = session.scalars(select(Event).where(Event.kind == "published", Event.actor == "ana"))
        assert event.data["reason"] == "Nama langkah sesuai Perbup 2026" and event.data["version"] == 2


def test_the_migration_page_dry_runs_then_moves_the_running_applications(visitor, db, draft_v2):
    applicant = visitor("andi")
    first, second = apply(applicant), apply(applicant)
    ana = visitor("ana")
    with db.transaction() as session:
        definitions.publish_version(session, _ctx(ana), "research_permit", 2, actor="ana")
    shown = ana.get("/analyst/services/research_permit/migrate")
    html = page(shown)
    assert html.cssselect("select#from-version option[selected]")[0].get("value") == "1"
    (row,) = html.cssselect("table.migrate-mapping tr[data-element-id=Task_Verify]")
    assert row.cssselect("td")[1].text_content() == "2"
    assert row.cssselect("option[selected]")[0].get("value") == "Task_Verify"
    form = {"from": "1", "to": "2"}
    dry = ana.post("/analyst/services/research_permit/migrate", {**form, "action": "dry-run"})
    assert "2 dari 2" in text_of(dry) or "2 of 2" in text_of(dry)
    nowhere = ana.post("/analyst/services/research_permit/migrate",
                       {**form, "action": "dry-run", "map.Task_Verify": ""})
    assert "Task_Verify" in page(nowhere).cssselect("ul.migrate-blocked")[0].text_content()
    moved = ana.post("/analyst/services/research_permit/migrate", {**form, "action": "run", "note": "Perbup"})
    assert moved.status_code == 200
    with db.transaction() as session:
        assert {session.get(Instance, i).definition.version for i in (first, second)} == {2}


def _ctx(visitor):
    return visitor.client.application.extensions["lincah"]["ctx"]
