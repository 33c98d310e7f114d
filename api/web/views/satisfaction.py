"""The satisfaction survey on the pages: the applicant answers it on the page of a finished application; managers
read the index (IKM) per service, and supervisors their offices' index."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

from flask import flash, g, redirect, request, url_for
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _

from engine.casework import applications
from engine.errors import Conflict, InvalidData, InvalidInput
from engine.people.access import MANAGER, SUPERVISOR
from engine.reporting import dashboard, satisfaction, survey_comments

from ..blueprint import bp
from ..pages import ctx, db, render, service_names
from ..security import current_actor, signed_in
from ..survey import item_labels, scale_labels, survey_for
from .applicant import application_page


@bp.route("/applications/<int(max=2147483647):application_id>/survey", methods=["POST"])
@signed_in()
def answer_survey(application_id: int):
    actor = current_actor()
    instance = applications.get(db(), application_id, actor)
    answers = {}
    for code in satisfaction.CODES:
        value = request.form.get(code, "")
        answers[code] = int(value) if value.isdigit() else None
    comment = request.form.get("comment", "")[:5000]
    try:
        satisfaction.submit(db(), ctx(), instance, actor, answers, comment)
    except InvalidData as refused:
        # drawn again with what was chosen, each missing item marked: a redirect would lose the answers and put
        # the message at the top of the page, out of sight of the survey
        survey = survey_for(instance, actor, answers=answers, comment=comment, errors=refused.details)
        return application_page(instance, actor, survey=survey, http_status=422)
    except Conflict:
        flash(_("You have already answered the survey for this application. Thank you!"), "info")
    else:
        flash(_("Thank you! Your answers help the office serve better."), "success")
    return redirect(url_for("web.application", application_id=application_id) + "#survey")


def _survey_filter(names: dict) -> tuple[satisfaction.SurveyFilter, dict]:
    """The page's filters from the address: a month (empty: every response), a service, a rating 1–4. A value the
    form would not send is dropped with a word saying so, never an error page."""
    typed = {"month": (request.args.get("month") or "").strip()[:7], "service": request.args.get("service") or "",
             "rating": request.args.get("rating") or ""}
    period = None
    if typed["month"]:
        try:
            period = dashboard.month_period(ctx(), typed["month"])
        except InvalidInput:
            flash(_("The period “%(month)s” is not a month: choose one in the Period field (as YYYY-MM, e.g. "
                    "2026-06).", month=typed["month"]) + " " + _("Every response is shown instead."), "error")
            typed["month"] = ""
    if typed["service"] not in names:
        typed["service"] = ""
    if typed["rating"] not in ("1", "2", "3", "4"):
        typed["rating"] = ""
    chosen = satisfaction.SurveyFilter(service=typed["service"] or None,
                                       date_from=period.start if period else None,
                                       date_to=period.end if period else None,
                                       rating=int(typed["rating"]) if typed["rating"] else None)
    return chosen, typed


def decimal(value: float | None) -> str:
    """An index or an item's mean, two decimals in the page's language (86,11 / 86.11)."""
    return "–" if value is None else format_decimal(round(value, 2), format="#,##0.00")


@bp.route("/manager/satisfaction")
@signed_in(MANAGER, SUPERVISOR)
def manager_satisfaction():
    g.staff_page = True
    names = service_names()
    chosen, typed = _survey_filter(names)
    overall, per_service = satisfaction.indexes(db(), current_actor(), replace(chosen, rating=None))
    said = survey_comments.comments(db(), current_actor(), chosen)
    return render("web/manager/satisfaction.html", overall=overall, per_service=per_service, items=item_labels(),
                  names=names, comments=said,
                  qs=urlencode({key: value for key, value in typed.items() if value and key != "rating"}),
                  filters=typed, decimal=decimal,
                  period_label=format_date(chosen.date_from.date(), "MMMM yyyy") if chosen.date_from else None,
                  scale=scale_labels())
