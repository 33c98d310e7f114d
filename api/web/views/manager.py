"""The manager's pages (*kepala dinas*, *kabid*): the SLA dashboard per service, step and office, the heatmap of a
service's diagram, the overdue list, and the CSV / Excel exports of the tables shown. Supervisors see them too, with
the figures of their own offices only (the engine's reports narrow to the actor's offices, as the API's do).

All figures come from ``engine.reporting.dashboard`` (itself ``engine.reporting.reports``): the CSV export *is* the
report API's CSV
for the same query, and the Excel workbook carries the same rows, so the screen, the files and the API agree.
"""

from __future__ import annotations

import csv
import io
from dataclasses import fields as dataclass_fields
from dataclasses import replace
from urllib.parse import urlencode

from flask import Response, flash, g, request, url_for
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _

from engine.casework import staff
from engine.errors import InvalidInput
from engine.people.access import ALL_JURISDICTIONS, MANAGER, SUPERVISOR
from engine.reporting import dashboard, outcomes, reports
from engine.reporting.dashboard import Period
from engine.services import definitions

from .. import bilingual, i18n
from ..blueprint import bp
from ..labels import office_name
from ..pages import ctx, db, render
from ..security import current_actor, signed_in

bp.add_app_template_global(dashboard.level, "level_of")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OVERDUE_LIMIT = 200


def hours(seconds: float | None) -> str:
    """Working time as the report's CSV writes it (hours, two decimals), in the locale's format."""
    if seconds is None:
        return "–"
    return _("%(hours)s h", hours=format_decimal(round(seconds / 3600, 2), format="#,##0.00"))


def share(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{format_decimal(round(value * 100, 1), format='#,##0.0')}%"


def _filters(*, export: bool = False) -> dict:
    """The filters from the address. A month the picker would not send (typed into the address) is dropped for the
    current month with a word saying so; an export, which carries no such word, refuses it instead."""
    filters = {"month": (request.args.get("month") or "").strip()[:7] or None,
               "service": (request.args.get("service") or "").strip()[:200] or None,
               "office": (request.args.get("office") or "").strip()[:100] or None}
    if filters["month"]:
        try:
            dashboard.month_period(ctx(), filters["month"])
        except InvalidInput:
            problem = _("The period “%(month)s” is not a month: choose one in the Period field (as YYYY-MM, "
                         "e.g. 2026-06).", month=filters["month"])
            if export:
                raise _BadFilter(problem) from None
            flash(problem + " " + _("This month is shown instead."), "error")
            filters["month"] = None
    return filters


class _BadFilter(Exception):
    pass


@bp.errorhandler(_BadFilter)
def _bad_filter(error: _BadFilter):
    g.staff_page = True
    return render("web/error.html", 422, status=422, title=_("The export could not be made"),
                  explanation=str(error), detail=None, reference=None)


def _office_choices() -> list[tuple[str, str]]:
    """(code, name) of the offices the manager may filter on: those they serve, every office in use for all."""
    actor = current_actor()
    codes = staff.known_offices(db()) if ALL_JURISDICTIONS in actor.jurisdictions else sorted(actor.jurisdictions)
    return sorted(((code, office_name(code)) for code in codes if code != ALL_JURISDICTIONS), key=lambda c: c[1])


def _query_string(filters: dict) -> str:
    return urlencode({k: v for k, v in filters.items() if v})


def _build(filters: dict, **overrides) -> dashboard.Dashboard:
    period = dashboard.month_period(ctx(), filters["month"])
    return dashboard.build(db(), ctx(), current_actor(), period, service=overrides.get("service", filters["service"]),
                           jurisdiction=filters["office"])


def _period_label(period: Period) -> str:
    return format_date(period.start.date(), "MMMM yyyy")


def _trend_data(trend: dashboard.Trend) -> dict:
    """The chart's data; the page embeds it with ``|tojson``, which escapes ``<`` so no name can close the script."""
    labels = [_("week of %(day)s", day=i18n.day(week)) for week in trend.weeks]
    series = [{"label": bilingual.service_text(key, trend.names.get(key, key)),
               "data": [None if v is None else round(v * 100, 1) for v in values]}
              for key, values in sorted(trend.share.items())]
    return {"labels": labels, "series": series, "y_label": _("share within SLA (%)")}


def _page_context() -> None:
    g.staff_page = True


@bp.route("/manager")
@signed_in(MANAGER, SUPERVISOR)
def manager_dashboard():
    _page_context()
    filters = _filters()
    board = _build(filters)
    return render("web/manager/dashboard.html", board=board, filters=filters, qs=_query_string(filters),
                  period_label=_period_label(board.period), trend=_trend_data(board.trend),
                  outcomes=_outcomes(board, filters["service"], filters),
                  hours=hours, share=share, offices=_offices(board.report), office_choices=_office_choices())


def _outcomes(board: dashboard.Dashboard, service: str | None, filters: dict) -> outcomes.Outcomes:
    """How files and decisions ended, for the board's period, service and office (``engine.reporting.outcomes``)."""
    return outcomes.outcomes(db(), ctx(), current_actor(), reports.ReportQuery(
        service=service, jurisdiction=filters["office"], date_from=board.period.start, date_to=board.period.end))


def _offices(report: reports.SlaReport) -> list[str]:
    return sorted({row.jurisdiction for row in report.files_by_jurisdiction + report.steps_by_jurisdiction})


@bp.route("/manager/services/<key>")
@signed_in(MANAGER, SUPERVISOR)
def manager_service(key: str):
    """A service's diagram with each step coloured by its share within SLA and labelled with its median."""
    _page_context()
    filters = _filters()
    board = _build(filters, service=key)
    steps = dashboard.service_steps(board.report, key)
    definition = definitions.latest_published(db(), key)
    heat = {row.step: {"level": dashboard.level(row.figures.share_within_sla),
                       "label": f"{hours(row.figures.median_seconds)} · {share(row.figures.share_within_sla)}"}
            for row in steps}
    config = {"xml_url": url_for("web.diagram", key=key, version=definition.version), "steps": heat}
    return render("web/manager/service.html", board=board, key=key, name=i18n.service_name(definition),
                  steps=steps, by_office=[r for r in board.report.steps_by_jurisdiction if r.service == key],
                  heat=heat, heat_config=config, filters=filters,
                  qs=_query_string({**filters, "service": key}), period_label=_period_label(board.period),
                  hours=hours, share=share, outcomes=_outcomes(board, key, filters))


@bp.route("/manager/overdue")
@signed_in(MANAGER, SUPERVISOR)
def manager_overdue():
    _page_context()
    filters = _filters()
    rows, total = reports.overdue(db(), ctx(), current_actor(), service=filters["service"],
                                  jurisdiction=filters["office"], limit=OVERDUE_LIMIT)
    return render("web/manager/overdue.html", rows=rows, total=total, filters=filters,
                  qs=_query_string(filters), hours=hours)


# --- exports -------------------------------------------------------------------------------------------------------

def _report_csv(filters: dict) -> tuple[str, str]:
    board = _build(filters)
    name = f"sla-{board.period.month}{'-' + filters['service'] if filters['service'] else ''}"
    return reports.to_csv(_named(board.report)), name


def _named(report: reports.SlaReport) -> reports.SlaReport:
    """The report with its service and step names in the page's language: an export asked for from an English
    page names them in English (the BPMN's ``name.en``), the columns and figures stay the same."""
    def rename(row):
        names = bilingual.named_in_page_language({"service": row.service, "service_name": row.service_name,
                                                  "step": getattr(row, "step", ""),
                                                  "step_name": getattr(row, "step_name", "")})
        return replace(row, service_name=names["service_name"],
                       **({"step_name": names["step_name"]} if hasattr(row, "step_name") else {}))
    return replace(report, steps=[rename(r) for r in report.steps], files=[rename(r) for r in report.files],
                   steps_by_jurisdiction=[rename(r) for r in report.steps_by_jurisdiction],
                   files_by_jurisdiction=[rename(r) for r in report.files_by_jurisdiction])


@bp.route("/manager/export.csv")
@signed_in(MANAGER, SUPERVISOR)
def manager_export_csv():
    text, name = _report_csv(_filters(export=True))
    return Response("\ufeff" + text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


NUMERIC = {"completed", "within_sla", "open", "open_at_risk", "open_breached"}
DECIMAL = {"median_working_hours", "p90_working_hours", "share_within_sla_pct"}


def _typed(column: str, value: str):
    if value == "":
        return None
    if column in NUMERIC:
        return int(value)
    if column in DECIMAL:
        return float(value)
    return value


def _outcome_sheets(book, filters: dict) -> None:
    """How files and decisions ended in the month (``engine.reporting.outcomes``): one sheet each, as on the page."""
    period = dashboard.month_period(ctx(), filters["month"])
    ended = outcomes.outcomes(db(), ctx(), current_actor(), reports.ReportQuery(
        service=filters["service"], jurisdiction=filters["office"], date_from=period.start, date_to=period.end))
    for title, kind, rows in (("outcomes", outcomes.FileOutcomes, ended.as_dict()["files"]),
                              ("step outcomes", outcomes.StepOutcomes, ended.as_dict()["steps"])):
        columns = [f.name for f in dataclass_fields(kind) if not f.name.startswith("_")]
        columns += ["ended"] if kind is outcomes.FileOutcomes else []
        sheet = book.create_sheet(title)
        sheet.append(columns)
        for row in rows:
            named = bilingual.named_in_page_language(row)
            sheet.append([named[column] for column in columns])


@bp.route("/manager/export.xlsx")
@signed_in(MANAGER, SUPERVISOR)
def manager_export_xlsx():
    """The same rows as the CSV, typed as numbers, one sheet per table shown, plus the overdue list."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    filters = _filters(export=True)
    text, name = _report_csv(filters)
    rows = list(csv.DictReader(io.StringIO(text)))
    book = Workbook()
    sheets = (("services", lambda r: r["level"] == "file" and not r["jurisdiction"]),
              ("steps", lambda r: r["level"] == "step" and not r["jurisdiction"]),
              ("offices", lambda r: r["level"] == "file" and r["jurisdiction"]),
              ("office steps", lambda r: r["level"] == "step" and r["jurisdiction"]))
    book.remove(book.active)
    for title, keep in sheets:
        sheet = book.create_sheet(title)
        sheet.append(list(reports.CSV_COLUMNS))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            if keep(row):
                sheet.append([_typed(column, row[column]) for column in reports.CSV_COLUMNS])
    overdue_rows, _total = reports.overdue(db(), ctx(), current_actor(), service=filters["service"],
                                           jurisdiction=filters["office"], limit=reports.MAX_OVERDUE)
    sheet = book.create_sheet("overdue")
    sheet.append(["registration_no", "applicant_name", "service", "step", "step_name", "jurisdiction", "holder",
                  "candidate_groups", "sla", "due_at", "overdue_working_hours"])
    for row in overdue_rows:
        step_name = bilingual.named_in_page_language({"service": row.service, "step": row.step,
                                                      "step_name": row.step_name})["step_name"]
        sheet.append([row.registration_no, row.applicant_name, row.service, row.step, step_name,
                      row.jurisdiction, row.holder or "", ", ".join(row.candidate_groups), row.sla or "",
                      row.due_at.isoformat() if row.due_at else "", round(row.overdue_seconds / 3600, 2)])
    _outcome_sheets(book, filters)
    out = io.BytesIO()
    book.save(out)
    return Response(out.getvalue(), mimetype=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
