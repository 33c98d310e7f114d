"""The analyst in a real browser (Debian's Chromium, Playwright) makes a new form with nothing but the web: in the
modeler she gives the verification step a form key nobody has written, the deploy lists the missing form with a
"Buat formulir awal" button, one click deploys the draft with a starter form, and its link opens the form editor.

Runs on its own SQLite server, like test_analyst_browser.py. Needs ``make web`` and /usr/bin/chromium.
"""

from __future__ import annotations

import orjson
import pytest
from playwright.sync_api import expect

from engine.services import definitions
from tests.web.studio_support import live_server, open_page

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


def test_a_new_form_key_in_the_modeler_becomes_a_starter_form_opened_in_the_form_editor(tmp_path, database, browser):
    errors: list[str] = []
    with live_server(tmp_path) as server:
        page = open_page(browser, server, "ana", errors)
        page.goto("/analyst/modeler?key=research_permit&version=1")
        expect(page.locator("body[data-modeler-ready=true]")).to_have_count(1)

        page.locator('g.djs-element[data-element-id="Task_Verify"]').click()
        expect(page.locator("#bio-properties-panel-id")).to_have_value("Task_Verify")
        page.locator(".bio-properties-panel-group-header", has_text="Forms").click()
        page.fill("#bio-properties-panel-formKey", "research_permit/tembusan")
        page.locator("#bio-properties-panel-formKey").press("Tab")
        page.wait_for_function("""() => window.lincahModeler.get('elementRegistry').get('Task_Verify')
            .businessObject.get('camunda:formKey') === 'research_permit/tembusan'""")

        page.click("#deploy")
        problem = page.locator('#problems li[data-element-id="Task_Verify"]')
        expect(problem).to_contain_text("tidak ditemukan")
        expect(page.locator("#starter-forms-hint")).to_be_visible()
        starter = problem.get_by_role("button", name="Buat formulir awal")
        expect(starter).to_be_visible()

        starter.click()
        expect(page.locator("#modeler-status.status-success")).to_contain_text("research_permit versi 2")
        expect(page.locator("#modeler-status")).to_contain_text("Formulir awal dibuat: 1")
        expect(page.locator("#problems li")).to_have_count(0)
        link = page.locator('#starter-forms a[data-form-key="research_permit/tembusan"]')
        expect(link).to_have_attribute("href",
                                       "/analyst/services/research_permit/2/forms/edit/research_permit/tembusan")

        link.click()
        page.wait_for_url("**/forms/edit/research_permit/tembusan")
        schema = orjson.loads(page.locator("textarea#schema").input_value())
        assert schema["title"] == "Verifikasi berkas" and list(schema["properties"]) == ["note"]
        expect(page.locator("#form-preview textarea[name=note]")).to_be_visible()

        with server.transaction() as session:
            draft = definitions.get_version(session, "research_permit", 2)
            assert draft.status == "draft" and "research_permit/tembusan" in draft.forms
    assert errors == []
