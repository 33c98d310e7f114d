"""The SLA report and the overdue list (managers and supervisors; admins see every office).

The figures are ``engine.reporting.reports``': the JSON, the CSV and the web dashboard's exports are the same report.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Response

from engine.people.access import MANAGER, SUPERVISOR
from engine.reporting import outcomes, reports, satisfaction, survey_comments
from engine.reporting.reports import ReportQuery

from ..auth import current_actor, login_required
from ..json_body import Blueprint
from ..schemas.outcomes import CommentArgs, CommentList, OutcomeArgs, OutcomesSchema
from ..schemas.reports import OverdueArgs, OverduePage, SlaReportArgs, SlaReportSchema
from ..schemas.satisfaction import SatisfactionReport
from ..unit_of_work import engine_context, session

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports",
                description="SLA report and overdue steps (managers, supervisors).")

# One 200 answer in two formats: flask-smorest documents one content type per response, so both are spelled out.
CSV_DOC = {"responses": {"200": {"content": {"application/json": {"schema": SlaReportSchema},
                                             "text/csv": {"schema": {"type": "string"}}},
                                 "description": "The report (format=json), or the same figures as CSV (format=csv)."}}}


def _instant(value: date | datetime | None, *, end: bool) -> datetime | None:
    """A day becomes its start in office time (the next day's start for an inclusive end); an instant without
    offset is office time."""
    if value is None:
        return None
    zone = ZoneInfo(engine_context().settings.timezone)
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    return datetime.combine(value + timedelta(days=1) if end else value, time(), zone)


def _file_name(query: ReportQuery, generated_at: datetime) -> str:
    parts = ["sla-report", query.service or "", generated_at.strftime("%Y-%m-%d")]
    return re.sub(r"[^A-Za-z0-9_.-]", "_", "-".join(p for p in parts if p)) + ".csv"


@blp.route("/sla")
@login_required(MANAGER, SUPERVISOR)
@blp.arguments(SlaReportArgs, location="query")
@blp.response(200, SlaReportSchema)
@blp.doc(**CSV_DOC)
def sla_report(args):
    """Per service and step, and per whole file: completed count, median and p90 working time, share within SLA,
    open, open at risk and open breached — for all your offices together, then per office."""
    db = session()
    actor = current_actor()
    reports.check_filters(db, actor, service=args.get("service"), jurisdiction=args.get("jurisdiction"))
    query = ReportQuery(service=args.get("service"), jurisdiction=args.get("jurisdiction"),
                        date_from=_instant(args.get("date_from"), end=False),
                        date_to=_instant(args.get("date_to"), end=True))
    report = reports.sla_report(db, engine_context(), actor, query)
    if args["format"] == "csv":
        name = _file_name(query, report.generated_at)
        return Response(reports.to_csv(report), content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return report.as_dict()


@blp.route("/sla/overdue")
@login_required(MANAGER, SUPERVISOR)
@blp.arguments(OverdueArgs, location="query")
@blp.response(200, OverduePage)
def overdue(args):
    """Open steps past their SLA, longest overdue first, with who holds each (null: still in the groups' inboxes)."""
    db = session()
    actor = current_actor()
    reports.check_filters(db, actor, service=args.get("service"), jurisdiction=args.get("jurisdiction"))
    items, total = reports.overdue(db, engine_context(), actor, service=args.get("service"),
                                   jurisdiction=args.get("jurisdiction"), limit=args["limit"],
                                   offset=args["offset"])
    return {"items": [vars(item) for item in items], "total": total}


@blp.route("/satisfaction")
@login_required(MANAGER, SUPERVISOR)
@blp.arguments(OutcomeArgs, location="query")
@blp.response(200, SatisfactionReport)
def satisfaction_index(args):
    """The satisfaction index (IKM) over your offices' survey responses (of one service, from/to a day, when
    given), then per service: each item's mean, the index (mean × 25) and its grade."""
    chosen = satisfaction.SurveyFilter(service=args.get("service"),
                                       date_from=_instant(args.get("date_from"), end=False),
                                       date_to=_instant(args.get("date_to"), end=True))
    overall, per_service = satisfaction.indexes(session(), current_actor(), chosen)
    return {"overall": vars(overall), "services": [vars(index) for index in per_service]}


@blp.route("/outcomes")
@login_required(MANAGER, SUPERVISOR)
@blp.arguments(OutcomeArgs, location="query")
@blp.response(200, OutcomesSchema)
def outcome_report(args):
    """How files ended per service — issued, rejected, withdrawn, each with its own count within SLA — with the time
    they waited for the applicant apart from the office's; and each step's decisions by meaning."""
    db = session()
    actor = current_actor()
    reports.check_filters(db, actor, service=args.get("service"), jurisdiction=args.get("jurisdiction"))
    query = ReportQuery(service=args.get("service"), jurisdiction=args.get("jurisdiction"),
                        date_from=_instant(args.get("date_from"), end=False),
                        date_to=_instant(args.get("date_to"), end=True))
    return outcomes.outcomes(db, engine_context(), actor, query).as_dict()


@blp.route("/satisfaction/comments")
@login_required(MANAGER, SUPERVISOR)
@blp.arguments(CommentArgs, location="query")
@blp.response(200, CommentList)
def survey_comment_list(args):
    """What applicants wrote in the survey, newest first (at most 200), by service, period and rating."""
    chosen = satisfaction.SurveyFilter(service=args.get("service"), rating=args.get("rating"),
                                       date_from=_instant(args.get("date_from"), end=False),
                                       date_to=_instant(args.get("date_to"), end=True))
    return {"items": [vars(c) for c in survey_comments.comments(session(), current_actor(), chosen)]}
