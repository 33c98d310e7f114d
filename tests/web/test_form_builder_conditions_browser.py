"""The form builder's groups and conditions in a real browser (Debian's Chromium), on the research permit's
application form: the condition the shipped form has (NIM required for students) shows as a row, what the builder
cannot show (the dates-in-order rule) is listed as kept from the JSON; the analyst adds a group of fields (the
supervisor: name required, phone) and a condition ("require the ethics number when the applicant is a lecturer"),
the JSON Schema and UI schema follow, the preview draws the group, a hand edit of the JSON redraws the rows, and the
saved draft enforces the condition when
its test run starts with a lecturer's data without the number — and not once the number is given.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from engine.services import definitions
from tests.web.studio_support import live_server, open_page, shot

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)

EDITOR = "/analyst/services/research_permit/1/forms/edit/research_permit/apply"
TRIAL_V2 = "/analyst/services/research_permit/2/trial"

LECTURER_CONDITION = {"if": {"properties": {"applicant_category": {"const": "lecturer"}},
                             "required": ["applicant_category"]},
                      "then": {"required": ["ethics_number"]}}


def named(row, name: str) -> None:
    """Types a field's name into a row, as the analyst does (the builder writes on change)."""
    row.locator(".builder-name").fill(name)
    row.locator(".builder-name").dispatch_event("change")


def titled(row, title: str) -> None:
    row.locator(".builder-title").fill(title)
    row.locator(".builder-title").dispatch_event("change")


def start_errors_for(page, data: dict) -> str:
    """The test run's complaints about the start form's data (empty when there are none)."""
    page.fill("#start_data", json.dumps(data))
    page.click("form.trial-start button[type=submit]")
    expect(page.locator("#start_data")).to_have_value(json.dumps(data))
    errors = page.locator(".trial-start-errors")
    return errors.inner_text() if errors.count() else ""


def test_the_analyst_adds_a_group_and_a_condition_and_the_saved_draft_enforces_it(tmp_path, database, browser):
    errors: list[str] = []
    with live_server(tmp_path) as server:
        page = open_page(browser, server, "ana", errors)
        page.goto(EDITOR)
        expect(page.locator("#form-builder[data-ready=true]")).to_have_count(1)

        # The shipped condition is a row; the rule the builder does not show is listed, not lost.
        shipped = page.locator(".builder-condition").first
        expect(page.locator(".builder-condition")).to_have_count(1)
        expect(shipped.locator(".builder-condition-field")).to_have_value("student_id")
        expect(shipped.locator(".builder-condition-when")).to_have_value("applicant_category")
        expect(shipped.locator(".builder-condition-value")).to_have_value('"student"')
        expect(page.locator(".builder-kept li", has_text="x-dates-in-order")).to_have_count(1)

        # A group of two fields: the supervisor's name (required) and phone.
        page.click(".builder-add")
        named(page.locator("tr.builder-field").last, "supervisor")
        titled(page.locator("tr.builder-field[data-original=supervisor]"), "Pembimbing")
        page.locator("tr.builder-field[data-original=supervisor] .builder-kind").select_option("group")
        group = page.locator("tr.builder-field[data-original=supervisor]")
        expect(group.locator(".builder-add-child")).to_be_visible()
        group.locator(".builder-add-child").click()
        child = page.locator("tr.builder-child[data-parent=supervisor]").last
        named(child, "supervisor_name")
        titled(page.locator("tr.builder-child[data-original=supervisor_name]"), "Nama pembimbing")
        page.locator("tr.builder-child[data-original=supervisor_name] .builder-required").check()
        group.locator(".builder-add-child").click()
        named(page.locator("tr.builder-child[data-parent=supervisor]").last, "supervisor_phone")
        expect(page.locator("tr.builder-child[data-parent=supervisor]")).to_have_count(2)

        # A field and the condition that requires it for lecturers.
        page.click(".builder-add")
        named(page.locator("tr.builder-field:not(.builder-child)").last, "ethics_number")
        titled(page.locator("tr.builder-field[data-original=ethics_number]"), "Nomor persetujuan etik")
        page.click(".builder-add-condition")
        added = page.locator(".builder-condition").last
        added.locator(".builder-condition-when").select_option("applicant_category")
        page.locator(".builder-condition").last.locator(".builder-condition-field").select_option("ethics_number")
        page.locator(".builder-condition").last.locator(".builder-condition-value").select_option(
            label="Dosen/peneliti perguruan tinggi")
        expect(page.locator(".builder-status")).to_have_text("")

        schema = json.loads(page.locator("#schema").input_value())
        ui = json.loads(page.locator("#ui_schema").input_value())
        assert schema["properties"]["supervisor"] == {
            "title": "Pembimbing", "type": "object",
            "properties": {"supervisor_name": {"title": "Nama pembimbing", "type": "string"},
                           "supervisor_phone": {"type": "string"}},
            "required": ["supervisor_name"]}
        assert ui["supervisor"] == {"ui:order": ["supervisor_name", "supervisor_phone"]}
        assert schema["allOf"][-1] == LECTURER_CONDITION
        assert schema["allOf"][0]["then"] == {"required": ["student_id"]}  # the shipped condition, as it was
        assert schema["x-dates-in-order"] == [["start_date", "end_date"]]  # kept
        preview_group = page.locator("#form-preview fieldset#f-supervisor")
        expect(preview_group.locator("input[name='supervisor.supervisor_name']")).to_have_count(1)
        shot(page, "analyst-form-builder-conditions.png")

        # A hand edit of the JSON redraws the rows: a condition written there becomes a row, a construct of another
        # shape is listed as kept, and the builder's next edit keeps it.
        either = {"anyOf": [{"required": ["email"]}, {"required": ["phone"]}]}
        organisation = {"if": {"properties": {"applicant_category": {"const": "organisation"}},
                               "required": ["applicant_category"]}, "then": {"required": ["location_detail"]}}
        page.fill("#schema", json.dumps({**schema, "allOf": [*schema["allOf"], organisation, either]}, indent=2))
        page.click("#builder-heading")  # the text area loses the focus: its change
        expect(page.locator(".builder-condition")).to_have_count(3)
        expect(page.locator(".builder-condition").last.locator(".builder-condition-field")).to_have_value(
            "location_detail")
        expect(page.locator(".builder-kept li", has_text='allOf: {"anyOf"')).to_have_count(1)
        titled(page.locator("tr.builder-field[data-original=ethics_number]"), "Nomor persetujuan komisi etik")
        expect(page.locator(".builder-status")).to_have_text("")
        rewritten = json.loads(page.locator("#schema").input_value())
        assert either in rewritten["allOf"] and organisation in rewritten["allOf"]
        assert rewritten["properties"]["ethics_number"]["title"] == "Nomor persetujuan komisi etik"

        page.click("#save-form")
        expect(page.locator(".flash-success")).to_contain_text("versi 2")
        with server.transaction() as session:
            saved = definitions.form_of(session, definitions.get_version(session, "research_permit", 2),
                                        "research_permit/apply")
            assert LECTURER_CONDITION in saved.schema["allOf"]
            assert saved.schema["properties"]["supervisor"]["required"] == ["supervisor_name"]

        # The saved draft's test run checks the start form against it: a lecturer without the number is refused.
        page.goto(TRIAL_V2)
        sample = json.loads(page.locator("#start_data").input_value())
        lecturer = {**sample, "applicant_category": "lecturer", "supervisor": {"supervisor_name": "Dr. Rahma"}}
        lecturer.pop("ethics_number", None)
        assert "Nomor persetujuan komisi etik" in start_errors_for(page, lecturer)
        assert "Nomor persetujuan komisi etik" not in start_errors_for(page, {**lecturer,
                                                                               "ethics_number": "ETIK-2026-17"})
        # the group's required field is checked inside the group
        assert "Nama pembimbing" in start_errors_for(page, {**lecturer, "ethics_number": "ETIK-2026-17",
                                                            "supervisor": {"supervisor_phone": "0811"}})
    assert errors == []
