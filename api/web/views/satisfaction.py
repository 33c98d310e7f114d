"""The satisfaction survey on the pages: the applicant answers it on the page of a finished application; managers
read the index (IKM) per service, and supervisors their offices' index."""

from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_babel import gettext as _

from engine.casework import applications
from engine.errors import Conflict, InvalidData
from engine.people.access import MANAGER, SUPERVISOR
from engine.reporting import satisfaction

from ..blueprint import bp
from ..pages import ctx, db, render, service_names
from ..security import current_actor, signed_in
from ..survey import item_labels, survey_for
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


@bp.route("/manager/satisfaction")
@signed_in(MANAGER, SUPERVISOR)
def manager_satisfaction():
    g.staff_page = True
    overall, per_service = satisfaction.indexes(db(), current_actor())
    return render("web/manager/satisfaction.html", overall=overall, per_service=per_service, items=item_labels(),
                  names=service_names(), qs="")
