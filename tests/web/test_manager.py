"""The manager's SLA dashboard: figures equal the SLA report's (engine.reporting.reports) on the screen and in the CSV
and
Excel exports, the heatmap colours the slow step, the overdue list links to the files — and only managers see it."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import orjson
import pytest
from openpyxl import load_workbook

from engine.people.access import Actor
from engine.reporting import reports
from engine.reporting.reports import ReportQuery
from tests.drive import WITA
from tests.web.conftest import page
from tests.web.studio_support import seed_history, studio_people  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("deployed", "studio_people")
JUNE = ReportQuery(date_from=datetime(2026, 6, 1, tzinfo=WITA), date_to=datetime(2026, 7, 1, tzinfo=WITA))
BOSS = Actor.of("mira", ["manager"], [], ["*"])


@pytest.fixture
def history(db, ctx, clock):
    return seed_history(db, ctx, clock)


def _report(db, ctx, query=JUNE):
    with db.transaction() as session:
        return reports.sla_report(session, ctx, BOSS, query)


def _hours(seconds):
    return "" if seconds is None else f"{seconds / 3600:.2f}"


def _pct(share):
    return "" if share is None else f"{share * 100:.1f}"


def test_the_dashboard_shows_the_reports_figures_for_the_month(visitor, db, ctx, history):
    response = visitor("mira").get("/manager")
    assert response.status_code == 200
    tree = page(response)
    heading = tree.cssselect("h1")[0].text_content()
    assert "Dasbor SLA" in heading and "Juni 2026" in heading
    report = _report(db, ctx)
    shown = {r.get("data-service"): r for r in tree.cssselect("table[data-table=services] tbody tr")}
    assert set(shown) == {row.service for row in report.files}
    for row in report.files:
        cells = shown[row.service]
        f = row.figures
        assert tuple(cells.get(f"data-{name}") for name in (
            "completed", "within", "share", "median", "open", "at-risk", "breached")) == (
            str(f.completed), str(f.within_sla), _pct(f.share_within_sla), _hours(f.median_seconds), str(f.open),
            str(f.open_at_risk), str(f.open_breached))
    research = shown["research_permit"]
    assert (research.get("data-completed"), research.get("data-share"), research.get("data-breached")) == (
        "3", "66.7", "1")
    steps = {(r.get("data-service"), r.get("data-step")): r for r in tree.cssselect("table[data-table=steps] tbody tr")}
    for row in report.steps:
        cells = steps[(row.service, row.step)]
        assert (cells.get("data-completed"), cells.get("data-median"), cells.get("data-p90"),
                cells.get("data-share"), cells.get("data-breached")) == (
            str(row.figures.completed), _hours(row.figures.median_seconds), _hours(row.figures.p90_seconds),
            _pct(row.figures.share_within_sla), str(row.figures.open_breached))
    verify = steps[("research_permit", "Task_Verify")]
    assert (verify.get("data-share"), verify.get("data-median"), verify.get("data-breached")) == ("33.3", "5.00", "1")
    offices = {r.get("data-office") for r in tree.cssselect("table[data-table=offices] tbody tr")}
    assert offices == {row.jurisdiction for row in report.files_by_jurisdiction} == {"sulsel", "sinjai"}
    # People read offices by their names; the code stays in the row's data for the filters.
    named = {r.get("data-office"): r.cssselect("td")[0].text_content().strip()
             for r in tree.cssselect("table[data-table=offices] tbody tr")}
    assert named == {"sulsel": "Provinsi Sulawesi Selatan", "sinjai": "Kabupaten Sinjai"}
    assert tree.cssselect("#offices-heading")[0].text_content() == "Per kantor"


def test_the_weekly_trend_is_the_report_of_each_week(visitor, db, ctx, history):
    tree = page(visitor("mira").get("/manager"))
    trend = orjson.loads(tree.cssselect("#trend-data")[0].text_content())
    assert len(trend["labels"]) == 8
    (research,) = [s for s in trend["series"] if s["label"] == "Izin Penelitian"]
    week = ReportQuery(date_from=datetime(2026, 6, 1, tzinfo=WITA), date_to=datetime(2026, 6, 8, tzinfo=WITA))
    (row,) = [r for r in _report(db, ctx, week).files if r.service == "research_permit"]
    assert research["data"][-1] == round(row.figures.share_within_sla * 100, 1) == 66.7
    assert research["data"][:-1] == [None] * 7


def test_the_heatmap_colours_the_slow_step_and_labels_each_step_with_its_median(visitor, history):
    tree = page(visitor("mira").get("/manager/services/research_permit"))
    config = orjson.loads(tree.cssselect("#heatmap-config")[0].text_content())
    assert config["xml_url"] == "/services/research_permit/1/diagram.bpmn"
    assert config["steps"]["Task_Verify"]["level"] == "poor"
    assert config["steps"]["Task_Sign"]["level"] == "good"
    assert config["steps"]["Task_Verify"]["label"] == "5,00 jam · 33,3%"


def test_the_csv_export_is_the_report_apis_csv_for_the_same_month(visitor, db, ctx, history):
    response = visitor("mira").get("/manager/export.csv?month=2026-06")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.get_data(as_text=True).lstrip("\ufeff") == reports.to_csv(_report(db, ctx))


def test_the_excel_export_has_the_same_numbers_as_the_screen_and_the_csv(visitor, db, ctx, history):
    mira = visitor("mira")
    response = mira.get("/manager/export.xlsx?month=2026-06")
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["services", "steps", "offices", "office steps", "overdue", "outcomes",
                               "step outcomes"]
    header, *ended = list(book["outcomes"].values)
    research = dict(zip(header, next(r for r in ended if r[0] == "research_permit"), strict=True))
    assert (research["issued"], research["rejected"], research["withdrawn"], research["issued_within_sla"]) == (
        3, 0, 0, 2)
    csv_rows = list(csv.DictReader(io.StringIO(reports.to_csv(_report(db, ctx)))))
    excel_rows = []
    for name in ("services", "steps", "offices", "office steps"):
        header, *rows = list(book[name].values)
        excel_rows += [dict(zip(header, row, strict=True)) for row in rows]
    assert len(excel_rows) == len(csv_rows)
    for row in csv_rows:
        match = [e for e in excel_rows if (e["level"], e["jurisdiction"] or "", e["service"], e["step"] or "") ==
                 (row["level"], row["jurisdiction"], row["service"], row["step"])]
        assert len(match) == 1
        for column in ("completed", "within_sla", "open", "open_at_risk", "open_breached"):
            assert match[0][column] == int(row[column])
        for column in ("median_working_hours", "p90_working_hours", "share_within_sla_pct"):
            assert match[0][column] == (float(row[column]) if row[column] else None)
    overdue = list(book["overdue"].values)[1:]
    assert sorted(r[3] for r in overdue) == ["Task_Recommend", "Task_Verify"]


def test_the_overdue_list_links_to_the_files_oldest_first(visitor, db, ctx, history):
    tree = page(visitor("mira").get("/manager/overdue"))
    links = tree.cssselect("table.overdue tbody td a.regno")
    with db.transaction() as session:
        expected, total = reports.overdue(session, ctx, BOSS)
    assert [a.text_content() for a in links] == [row.registration_no for row in expected] and total == 2
    assert {a.get("href") for a in links} == {f"/applications/{history['a4']}", f"/applications/{history['b1']}"}


@pytest.mark.parametrize("username", ["vera", "ana", "andi"])
def test_only_managers_and_supervisors_see_the_dashboard_and_its_exports(visitor, username):
    person = visitor(username)
    for path in ("/manager", "/manager/services/research_permit", "/manager/overdue", "/manager/export.csv",
                 "/manager/export.xlsx"):
        assert person.get(path).status_code == 403, path


def test_the_dashboard_speaks_english_when_chosen(visitor, history):
    text = page(visitor("mira").english().get("/manager")).text_content()
    assert "SLA dashboard" in text and "Per office" in text


def test_the_office_is_chosen_from_the_offices_by_name_and_filters_the_figures(visitor, history):
    tree = page(visitor("mira").get("/manager?month=2026-06&office=sinjai"))
    options = [(o.get("value"), o.text_content()) for o in tree.cssselect("select#office option")]
    assert options[0] == ("", "Semua kantor")
    assert ("sinjai", "Kabupaten Sinjai") in options and ("sulsel", "Provinsi Sulawesi Selatan") in options
    assert "*" not in [value for value, _name in options]
    assert tree.cssselect("select#office option[selected]")[0].get("value") == "sinjai"
    assert {r.get("data-office") for r in tree.cssselect("table[data-table=offices] tbody tr")} == {"sinjai"}


def test_a_period_that_is_not_a_month_says_so_and_shows_this_month(visitor, history):
    mira = visitor("mira")
    response = mira.get("/manager?month=2026-13")
    assert response.status_code == 200
    tree = page(response)
    flash = tree.cssselect(".flash-error")[0].text_content()
    assert "Periode “2026-13” bukan bulan" in flash and "isian Periode" in flash and "bulan ini" in flash
    assert "Juni 2026" in tree.cssselect("h1")[0].text_content()
    for export in ("/manager/export.csv?month=2026-13", "/manager/export.xlsx?month=2026-13"):
        refused = mira.get(export)
        assert refused.status_code == 422 and "Periode “2026-13” bukan bulan" in refused.get_data(as_text=True)


@pytest.mark.parametrize("username", ["vera", "ana", "andi"])
def test_officers_and_others_still_may_not_see_the_managers_pages(visitor, username):
    person = visitor(username)
    for path in ("/manager", "/manager/overdue", "/manager/satisfaction", "/manager/export.csv"):
        assert person.get(path).status_code == 403, path


def test_a_supervisor_sees_the_managers_pages_with_the_figures_of_their_offices_only(visitor, db, ctx, clock, history):
    """A Sinjai supervisor sees Sinjai's fishing files, never Bone's nor the province's; the menu leads there."""
    from tests import samples
    from tests.drive import sla_pass, start, wita
    from tests.people import add_people

    clock.set(wita(2026, 6, 2, 9, 0))
    bone = start(db, ctx, "fishing_vessel_permit", samples.vessel_application("bone"))
    clock.set(wita(2026, 6, 4, 11, 30))
    sla_pass(db, ctx)
    with db.transaction() as session:
        add_people(session, {"sups": (["supervisor"], [], ["sinjai"], "Supervisor Sinjai")})
    sups = visitor("sups")
    mira_offices = {r.get("data-office") for r in page(visitor("mira").get("/manager?month=2026-06")).cssselect(
        "table[data-table=offices] tbody tr")}
    assert {"sinjai", "bone", "sulsel"} <= mira_offices
    response = sups.get("/manager?month=2026-06")
    assert response.status_code == 200
    tree = page(response)
    assert {r.get("data-office") for r in tree.cssselect("table[data-table=offices] tbody tr")} == {"sinjai"}
    assert {r.get("data-service") for r in tree.cssselect("table[data-table=services] tbody tr")} == {
        "fishing_vessel_permit"}
    supervisor = Actor.of("sups", ["supervisor"], [], ["sinjai"])
    with db.transaction() as session:
        (fishing,) = reports.sla_report(session, ctx, supervisor, JUNE).files
    shown = tree.cssselect("table[data-table=services] tbody tr")[0]
    assert (shown.get("data-open"), shown.get("data-breached")) == (str(fishing.figures.open),
                                                                    str(fishing.figures.open_breached))
    assert shown.get("data-open") == "1"  # B1; the Bone file is open too, but not theirs
    assert [o.get("value") for o in tree.cssselect("select#office option")] == ["", "sinjai"]
    assert "/manager" in [a.get("href") for a in tree.cssselect("nav a")]
    overdue = {a.get("href") for a in page(sups.get("/manager/overdue")).cssselect("table.overdue tbody td a.regno")}
    assert overdue == {f"/applications/{history['b1']}"} and f"/applications/{bone}" not in overdue
    assert sups.get("/manager/satisfaction").status_code == 200
    exported = sups.get("/manager/export.csv?month=2026-06").get_data(as_text=True)
    assert ",sinjai," in exported and ",bone," not in exported and ",sulsel," not in exported
