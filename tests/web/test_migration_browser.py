"""Changing a service while files run, in a real browser (Debian's Chromium, Playwright): the analyst publishes a
new version of the research permit (the verification step renamed) after seeing the change drawn on both diagrams and
the application running on the old one, dry-runs the move, moves it, and the verifier finds the file in the inbox
under the step's new name with its due time unchanged.

Runs on its own SQLite server (the pages' logic is tested on both databases in test_versions_pages.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.bpmn.compiler import SourceFile
from engine.casework import applications
from engine.people.access import Actor
from engine.services import definitions
from engine.storage.models import Task
from tests import samples
from tests.conftest import PROJECT_ROOT
from tests.people import account
from tests.web.studio_support import live_server, open_page, shot

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)

BPMN = PROJECT_ROOT / "processes" / "research_permit.bpmn"


def test_the_analyst_sees_the_change_publishes_moves_and_the_verifier_finds_the_file_due_as_before(tmp_path,
                                                                                                   database, browser):
    errors: list[str] = []
    with live_server(tmp_path, usernames=("ana", "andi")) as server:
        with server.transaction() as session:
            session.add(account("vera", ["officer"], ["verifier"], ["sulsel"], "Vera Verifikator"))
            started = applications.start(session, server.ctx, service="research_permit",
                                         data=samples.research_application(),
                                         actor=Actor.of("andi", ["applicant"], full_name="Andi Pratama"))
            number = started.registration_no
        with server.transaction() as session:
            task_id, due_before = session.execute(select(Task.id, Task.due_at).where(
                Task.instance_id == started.id, Task.element_id == "Task_Verify")).one()
            changed = BPMN.read_text().replace('name="Verifikasi berkas"', 'name="Verifikasi dokumen"', 1)
            definitions.deploy(session, server.ctx, SourceFile(BPMN.name, changed.encode()), [],
                               definitions.form_source(server.ctx, BPMN), actor="ana", publish=False)

        page = open_page(browser, server, "ana", errors)
        page.goto("/analyst/services/research_permit")
        page.click("a.publish-link")
        expect(page.locator('g.djs-element.diff-changed[data-element-id="Task_Verify"]')).to_have_count(2)
        expect(page.locator("table.running-per-step tr[data-element-id=Task_Verify] td").nth(1)).to_have_text("1")
        shot(page, "analyst-publish-diff.png")
        page.fill("#publish-reason", "Nama langkah mengikuti Perbup 2026")
        page.click("form.publish-confirm button[type=submit]")
        expect(page.locator("table.versions tr[data-version='2']")).to_have_attribute("data-status", "published")

        page.goto("/analyst/services/research_permit/migrate")
        expect(page.locator("p.migrate-waiting")).to_contain_text("1 permohonan berjalan pada versi 1")
        page.click("button[value=dry-run]")
        expect(page.locator("section.migrate-dry-run h2")).to_contain_text("1 dari 1")
        shot(page, "analyst-migration-dry-run.png")
        page.click("button[value=run]")
        expect(page.locator("section.migrate-report h2")).to_contain_text("Dipindahkan 1")

        officer = open_page(browser, server, "vera", errors)
        officer.goto("/inbox")
        row = officer.locator(f"tr#row-{task_id}")
        expect(row).to_contain_text(number)
        expect(row).to_contain_text("Verifikasi dokumen")
        with server.transaction() as session:
            assert session.scalar(select(Task.due_at).where(Task.id == task_id)) == due_before
    assert errors == []
