"""The satisfaction survey (SKM) as the application page asks it: its nine items and scale in the page's language,
and what the page needs to draw it — blank, answered, or refused with the given answers kept and each missing one
marked."""

from __future__ import annotations

from flask_babel import gettext as _

from engine.reporting import satisfaction

from . import i18n
from .pages import db


def item_labels() -> list[tuple[str, str]]:
    """(code, label) of the nine items in the page's language."""
    english = i18n.lang() == "en"
    return [(code, label_en if english else label_id) for code, label_id, label_en in satisfaction.ITEMS]


def scale_labels() -> list[tuple[int, str]]:
    return [(1, _("Not good")), (2, _("Fairly good")), (3, _("Good")), (4, _("Very good"))]


def survey_for(instance, actor, *, answers: dict | None = None, comment: str = "",
               errors: dict | None = None) -> dict | None:
    """What the application page needs for the survey, or None when this visitor has nothing to answer.

    ``answers`` and ``comment`` are a refused submission's, drawn again; ``errors`` (item code → problem, from
    ``engine.reporting.satisfaction.submit``) marks the items to correct, each with its own message in the page's
    language.
    """
    if not satisfaction.may_answer(actor, instance):
        return None
    messages = {code: _("Choose 1, 2, 3 or 4.") for code in (errors or {}) if code != "comment"}
    if "comment" in (errors or {}):
        messages["comment"] = _("Enter at most %(num)d characters.", num=satisfaction.MAX_COMMENT)
    return {"answered": satisfaction.answered(db(), instance.id), "items": item_labels(), "scale": scale_labels(),
            "answers": answers or {}, "comment": comment, "errors": messages}
