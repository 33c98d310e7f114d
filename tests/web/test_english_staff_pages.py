"""Staff pages and exports in English: the offices page's steps with nobody to work them, and the SLA exports (CSV
and Excel) asked for from an English page, name services and steps by the BPMN's ``name.en``; the Indonesian
exports keep the diagram's names. The columns are the same in both languages (programs read them)."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.web.conftest import page
from tests.web.studio_support import seed_history, studio_people  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("deployed", "studio_people")


def test_the_english_offices_page_names_the_unstaffed_steps_in_english(visitor):
    english = page(visitor("admin").english().get("/admin/offices"))
    (row, *_) = english.cssselect("table.office-gaps tbody tr[data-element-id=Task_Recommend]")
    assert row.cssselect("td")[1].text_content() == "Regency recommendation"
    assert "Rekomendasi kabupaten" not in english.cssselect("table.office-gaps")[0].text_content()
    indonesian = page(visitor("admin").get("/admin/offices"))
    (row, *_) = indonesian.cssselect("table.office-gaps tbody tr[data-element-id=Task_Recommend]")
    assert row.cssselect("td")[1].text_content() == "Rekomendasi kabupaten"


def _csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_english_csv_export_names_services_and_steps_in_english(visitor, db, ctx, clock):
    seed_history(db, ctx, clock)
    english = _csv(visitor("mira").english().get("/manager/export.csv?month=2026-06"))
    indonesian = _csv(visitor("mira").get("/manager/export.csv?month=2026-06"))
    assert [list(r) for r in english[:1]] == [list(r) for r in indonesian[:1]], "the same columns"
    verify = next(r for r in english if r["step"] == "Task_Verify")
    assert (verify["service_name"], verify["step_name"]) == ("Research Permit", "Verify documents")
    verify = next(r for r in indonesian if r["step"] == "Task_Verify")
    assert (verify["service_name"], verify["step_name"]) == ("Izin Penelitian", "Verifikasi berkas")
    assert len(english) == len(indonesian)


def test_the_english_excel_export_names_steps_in_english_on_every_sheet(visitor, db, ctx, clock):
    seed_history(db, ctx, clock)
    book = load_workbook(io.BytesIO(visitor("mira").english().get("/manager/export.xlsx?month=2026-06").data))
    cells = {str(value) for sheet in book.worksheets for row in sheet.values for value in row if value}
    assert {"Verify documents", "Research Permit", "Regency recommendation"} <= cells
    assert not {"Verifikasi berkas", "Izin Penelitian", "Rekomendasi kabupaten"} & cells
    header, *overdue = list(book["overdue"].values)
    step_names = {row[header.index("step")]: row[header.index("step_name")] for row in overdue}
    assert step_names == {"Task_Verify": "Verify documents", "Task_Recommend": "Regency recommendation"}
