"""The satisfaction survey on the pages: the applicant answers it on the page of a finished application; managers
read the index (IKM) per service."""

from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_babel import gettext as _

from engine import applications, satisfaction
from engine.access import MANAGER
from engine.errors import Conflict, InvalidData

from .. import i18n
from ..blueprint import bp
from ..pages import ctx, db, render, service_names
from ..security import current_actor, signed_in


def item_labels() -> list[tuple[str, str]]:
    """(code, label) of the nine items in the page's language."""
    english = i18n.lang() == "en"
    return [(code, label_en if english else label_id) for code, label_id, label_en in satisfaction.ITEMS]


def scale_labels() -> list[tuple[int, str]]:
    return [(1, _("Not good")), (2, _("Fairly good")), (3, _("Good")), (4, _("Very good"))]


def survey_for(instance, actor) -> dict | None:
    """What the application page needs for the survey, or None when this visitor has nothing to answer."""
    if not satisfaction.may_answer(actor, instance):
        return None
    return {"answered": satisfaction.answered(db(), instance.id), "items": item_labels(), "scale": scale_labels()}


@bp.route("/applications/<int(max=2147483647):application_id>/survey", methods=["POST"])
@signed_in()
def answer_survey(application_id: int):
    actor = current_actor()
    instance = applications.get(db(), application_id, actor)
    answers = {}
    for code in satisfaction.CODES:
        value = request.form.get(code, "")
        answers[code] = int(value) if value.isdigit() else None
    try:
        satisfaction.submit(db(), ctx(), instance, actor, answers, request.form.get("comment", "")[:5000])
    except InvalidData:
        flash(_("Please answer every question of the survey (1 to 4)."), "error")
    except Conflict:
        flash(_("You have already answered the survey for this application. Thank you!"), "info")
    else:
        flash(_("Thank you! Your answers help the office serve better."), "success")
    return redirect(url_for("web.application", application_id=application_id) + "#survey")


@bp.route("/manager/satisfaction")
@signed_in(MANAGER)
def manager_satisfaction():
    g.staff_page = True
    overall, per_service = satisfaction.indexes(db(), current_actor())
    return render("web/manager/satisfaction.html", overall=overall, per_service=per_service, items=item_labels(),
                  names=service_names(), qs="")
