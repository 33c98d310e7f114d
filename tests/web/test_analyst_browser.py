"""The analyst in a real browser (Debian's Chromium, Playwright): a diagram drawn in Camunda Modeler is imported into
the web modeler, broken (its verification task has lost its form key), deployed as a draft — the problem is listed
and highlighted on that task —, fixed in the properties panel (form key, and the SLA in the Lincah group), deployed
again, published, and an applicant applies to the new service at once: no restart, no code.

Runs on its own SQLite server (the browser part does not depend on the database backend; the page tests in
test_analyst.py run on both). Needs ``make web`` (the editor bundle) and /usr/bin/chromium.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from engine.services import definitions
from tests.people import PDF
from tests.web.conftest import research_form
from tests.web.studio_support import live_server, open_page, shot
from tests.web.test_analyst import survey_permit

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


def test_an_analyst_imports_breaks_fixes_deploys_and_publishes_and_an_applicant_applies_at_once(tmp_path, database,
                                                                                                 browser):
    errors: list[str] = []
    with live_server(tmp_path) as server:
        page = open_page(browser, server, "ana", errors)
        page.goto("/analyst/services")
        expect(page.locator("table.versions[data-service=research_permit] tbody tr")).to_have_count(1)
        shot(page, "analyst-services.png")

        page.goto("/analyst/modeler?template=approval")
        expect(page.locator("body[data-modeler-ready=true]")).to_have_count(1)
        broken = survey_permit(without_verify_form=True).encode()
        page.set_input_files("#import-file", files=[
            {"name": "survey_permit.bpmn", "mimeType": "application/xml", "buffer": broken}])
        expect(page.locator('g.djs-element[data-element-id="Task_Verify"]')).to_have_count(1)
        expect(page.locator("#modeler-status")).to_have_text("Diagram dibuka.")

        page.click("#deploy")
        problem = page.locator('#problems li[data-element-id="Task_Verify"]')
        expect(problem).to_contain_text("tidak memiliki formulir")
        task = page.locator('g.djs-element.lincah-problem-warning[data-element-id="Task_Verify"]')
        expect(task).to_have_count(1)
        expect(page.locator('.djs-overlay-container .lincah-problem-badge')).to_have_count(1)
        expect(page.locator("#publish")).to_be_visible()
        expect(page.locator("#deployed-info")).to_contain_text("survey_permit v1 (draf)")

        problem.locator("button").click()
        expect(page.locator('g.djs-element.selected[data-element-id="Task_Verify"]')).to_have_count(1)
        expect(page.locator("#bio-properties-panel-id")).to_have_value("Task_Verify")
        shot(page, "analyst-modeler-problem.png")

        page.locator(".bio-properties-panel-group-header", has_text="Forms").click()
        page.select_option("#bio-properties-panel-formType", "formKey")
        page.fill("#bio-properties-panel-formKey", "research_permit/verify")
        page.locator(".bio-properties-panel-group-header", has_text="Lincah (SLA dan katalog)").click()
        page.fill("#bio-properties-panel-lincah-task-sla", "PT3H")
        page.locator("#bio-properties-panel-lincah-task-sla").press("Tab")
        page.wait_for_function("""() => window.lincahModeler.get('elementRegistry').get('Task_Verify')
            .businessObject.get('camunda:formKey') === 'research_permit/verify'""")

        page.click("#deploy")
        expect(page.locator("#modeler-status.status-success")).to_contain_text("survey_permit versi 2")
        expect(page.locator("#problems li")).to_have_count(0)
        expect(page.locator("g.djs-element.lincah-problem-warning")).to_have_count(0)
        page.click("#publish")
        expect(page.locator("#modeler-status")).to_contain_text("diterbitkan")
        expect(page.locator("#publish")).to_be_hidden()
        shot(page, "analyst-modeler-published.png")

        with server.transaction() as session:
            published = definitions.latest_published(session, "survey_permit")
            assert published.version == 2
            verify = published.meta["tasks"]["Task_Verify"]
            assert (verify["form_key"], verify["sla"]) == ("research_permit/verify", "PT3H")

        applicant = open_page(browser, server, "andi", errors)
        applicant.goto("/services")
        applicant.get_by_role("link", name=re.compile("Izin Survei")).first.click()
        applicant.goto("/services/survey_permit/apply")
        expect(applicant.locator("input[name=research_title]")).to_be_visible()
        token = applicant.locator("form.form input[name=_csrf]").first.input_value()
        fields = {k: v for k, v in research_form().items() if isinstance(v, str)}
        files = {k: {"name": f"{k}.pdf", "mimeType": "application/pdf", "buffer": PDF}
                 for k, v in research_form().items() if not isinstance(v, str)}
        response = applicant.request.post("/services/survey_permit/apply",
                                          multipart={**fields, **files, "_csrf": token})
        assert response.ok and re.search(r"/applications/\d+$", response.url), response.text()[:500]
        applicant.goto(response.url)
        expect(applicant.locator("main")).to_contain_text("Izin Survei")
    assert errors == []
