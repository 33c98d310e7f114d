"""The form builder in a real browser (Debian's Chromium): the analyst adds a required long-text field and a choice
to the verifier's form by rows, not JSON; the JSON Schema and UI schema below follow, the preview (the product's own
renderer) shows the new fields, and saving makes a new draft whose form has them — what the rows do not show (the
existing fields' lengths and patterns) is kept."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from engine.services import definitions
from tests.web.studio_support import live_server, open_page, shot

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)

EDITOR = "/analyst/services/research_permit/1/forms/edit/research_permit/apply"


def test_the_analyst_adds_fields_by_rows_and_the_saved_draft_has_them(tmp_path, database, browser):
    errors: list[str] = []
    with live_server(tmp_path) as server:
        page = open_page(browser, server, "ana", errors)
        page.goto(EDITOR)
        expect(page.locator("#form-builder[data-ready=true]")).to_have_count(1)
        nik = page.locator("tr.builder-field[data-original=nik]")
        expect(nik.locator(".builder-kind")).to_have_value("text")
        expect(nik.locator(".builder-required")).to_be_checked()
        expect(page.locator("tr.builder-field[data-original=ktp] .builder-kind")).to_have_value("file")

        page.click(".builder-add")
        row = page.locator("tr.builder-field").last
        row.locator(".builder-name").fill("field_note")
        row.locator(".builder-name").dispatch_event("change")
        row.locator(".builder-title").fill("Catatan untuk petugas")
        row.locator(".builder-title").dispatch_event("change")
        row.locator(".builder-kind").select_option("longtext")
        row.locator(".builder-required").check()
        page.click(".builder-add")
        choice = page.locator("tr.builder-field").last
        choice.locator(".builder-name").fill("funding")
        choice.locator(".builder-name").dispatch_event("change")
        choice.locator(".builder-kind").select_option("choice")
        choice.locator(".builder-choices").fill("mandiri: Biaya sendiri\nHibah kampus")
        choice.locator(".builder-choices").dispatch_event("change")

        schema = json.loads(page.locator("#schema").input_value())
        ui = json.loads(page.locator("#ui_schema").input_value())
        assert schema["properties"]["field_note"] == {"title": "Catatan untuk petugas", "type": "string",
                                                      "maxLength": 2000}
        assert "field_note" in schema["required"] and "nik" in schema["required"]
        assert schema["properties"]["funding"]["oneOf"] == [{"const": "mandiri", "title": "Biaya sendiri"},
                                                           {"const": "hibah_kampus", "title": "Hibah kampus"}]
        assert schema["properties"]["nik"]["pattern"] == "^[0-9]{16}$"  # kept: no row shows it
        assert ui["field_note"]["ui:widget"] == "textarea" and ui["ui:order"][-2:] == ["field_note", "funding"]
        expect(page.locator("#form-preview textarea[name=field_note]")).to_have_count(1)
        expect(page.locator("#form-preview [name=funding]").first).to_be_attached()
        shot(page, "analyst-form-builder.png")

        page.click("#save-form")
        expect(page.locator(".flash-success")).to_contain_text("versi 2")
        with server.transaction() as session:
            saved = definitions.form_of(session, definitions.get_version(session, "research_permit", 2),
                                        "research_permit/apply")
            assert saved.schema["properties"]["field_note"]["type"] == "string"
            assert saved.ui_schema["field_note"] == {"ui:widget": "textarea"}
    assert errors == []
