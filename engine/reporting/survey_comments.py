"""What applicants wrote in the satisfaction survey's comment box, for managers and supervisors (their offices
only): newest first, filtered by service, period and rating (``satisfaction.SurveyFilter``), each with the
application it came from so a complaint can be followed up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import InvalidInput
from engine.people.access import Actor
from engine.reporting.satisfaction import CODES, SCALE, SurveyFilter, require_reader, visible
from engine.storage.models import Instance, SurveyResponse

MAX_COMMENTS = 200


@dataclass(frozen=True)
class Comment:
    submitted_at: datetime
    service: str
    jurisdiction: str
    instance_id: int
    registration_no: str
    mean: float  # of the response's nine answers, 1–4
    rating: int  # that mean rounded half up
    text: str


def rating_of(answers: dict) -> tuple[float, int]:
    mean = sum(answers[code] for code in CODES) / len(CODES)
    return mean, int(mean + 0.5)


def comments(session: Session, actor: Actor, filters: SurveyFilter = SurveyFilter(), *,
             limit: int = MAX_COMMENTS) -> list[Comment]:
    """The non-empty comments the actor may read. Raises ``Forbidden``, or ``InvalidInput`` for a rating not 1–4."""
    require_reader(actor)
    if filters.rating is not None and filters.rating not in SCALE:
        raise InvalidInput("A rating is 1, 2, 3 or 4.", {"rating": "Choose 1, 2, 3 or 4."})
    query = visible(select(SurveyResponse, Instance.registration_no)
                    .join(Instance, Instance.id == SurveyResponse.instance_id)
                    .where(SurveyResponse.comment != ""), actor, filters)
    found = []
    # The rating is computed from the answers (a JSON object), so it is filtered here; comments are few.
    for response, number in session.execute(query.order_by(SurveyResponse.submitted_at.desc(),
                                                            SurveyResponse.id.desc())):
        mean, rating = rating_of(response.answers)
        if filters.rating is not None and rating != filters.rating:
            continue
        found.append(Comment(response.submitted_at, response.service_key, response.jurisdiction, response.instance_id,
                             number, mean, rating, response.comment))
        if len(found) >= limit:
            break
    return found
