"""The community satisfaction survey (*Survei Kepuasan Masyarakat*, SKM — Permenpan RB 14/2017).

Offices ask it right after a file ends: nine items, each answered 1 (not good) to 4 (very good). An item's value
(*nilai rata-rata*) is the mean of its answers; the index (IKM) is the mean of the nine item values × 25, graded
A 88.31–100, B 76.61–88.30, C 65.00–76.60, D 25.00–64.99. One response per application, by its applicant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.casework import applications
from engine.errors import Conflict, Forbidden, InvalidData
from engine.people.access import ADMIN, ALL_JURISDICTIONS, MANAGER, SUPERVISOR, Actor
from engine.storage import audit
from engine.storage.models import Instance, SurveyResponse

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

# The nine items of the regulation, in its order: (code, Indonesian, English).
ITEMS = (
    ("requirements", "Persyaratan", "Requirements"),
    ("procedure", "Sistem, mekanisme dan prosedur", "Procedure"),
    ("time", "Waktu penyelesaian", "Completion time"),
    ("cost", "Biaya/tarif", "Cost"),
    ("product", "Produk layanan", "Service product"),
    ("competence", "Kompetensi pelaksana", "Staff competence"),
    ("behaviour", "Perilaku pelaksana", "Staff behaviour"),
    ("complaints", "Penanganan pengaduan, saran dan masukan", "Handling of complaints and suggestions"),
    ("facilities", "Sarana dan prasarana", "Facilities"),
)
CODES = tuple(code for code, _id, _en in ITEMS)
SCALE = (1, 2, 3, 4)
MAX_COMMENT = 2000
# Lower bounds of the grades (the regulation's intervals for the index).
GRADES = ((88.31, "A"), (76.61, "B"), (65.00, "C"), (25.00, "D"))


def may_answer(actor: Actor, instance: Instance) -> bool:
    return actor.username == instance.applicant and instance.status == applications.COMPLETED


def answered(session: Session, instance_id: int) -> bool:
    return session.scalar(select(SurveyResponse.id).where(SurveyResponse.instance_id == instance_id)) is not None


def submit(session: Session, ctx: EngineContext, instance: Instance, actor: Actor, answers: dict,
           comment: str = "") -> SurveyResponse:
    """Record the applicant's answers; every item is required, 1–4. A second response is a conflict."""
    if not may_answer(actor, instance):
        raise Forbidden("Only the applicant can answer the survey, once the application has ended.")
    errors = {code: "Choose 1, 2, 3 or 4." for code in CODES if answers.get(code) not in SCALE}
    if len(comment or "") > MAX_COMMENT:
        errors["comment"] = f"At most {MAX_COMMENT} characters."
    if errors:
        raise InvalidData(f"The survey has {len(errors)} unanswered or invalid item(s): {', '.join(errors)}.",
                          errors)
    response = SurveyResponse(instance_id=instance.id, service_key=instance.service_key,
                              jurisdiction=instance.jurisdiction, answers={code: answers[code] for code in CODES},
                              comment=(comment or "").strip(), submitted_by=actor.username, submitted_at=ctx.now())
    try:
        with session.begin_nested():
            session.add(response)
            session.flush()
    except IntegrityError as exc:
        raise Conflict("This application's survey has already been answered. Thank you!") from exc
    audit.record(session, "survey_submitted", actor=actor.username, at=response.submitted_at,
                 instance_id=instance.id, answers=response.answers)
    return response


@dataclass
class Index:
    """IKM of one service (or of all): how many answered, each item's mean, the index and its grade."""

    service: str | None
    responses: int = 0
    item_means: dict[str, float] = field(default_factory=dict)
    ikm: float | None = None
    grade: str | None = None


def grade_of(ikm: float) -> str:
    for lower, grade in GRADES:
        if ikm >= lower:
            return grade
    return "D"


def _index(service: str | None, rows: list[dict]) -> Index:
    result = Index(service, responses=len(rows))
    if rows:
        result.item_means = {code: sum(r[code] for r in rows) / len(rows) for code in CODES}
        result.ikm = round(sum(result.item_means.values()) / len(CODES) * 25, 2)
        result.grade = grade_of(result.ikm)
    return result


@dataclass(frozen=True)
class SurveyFilter:
    """Which responses: one service or all; submitted in ``[date_from, date_to)`` (both optional); with a rating —
    a response's own mean of its nine answers, rounded half up to 1–4 — for reading comments."""

    service: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    rating: int | None = None


def require_reader(actor: Actor) -> None:
    if not actor.has_role(MANAGER, SUPERVISOR, ADMIN):
        raise Forbidden("The satisfaction index is for managers, supervisors and administrators.")


def visible(query, actor: Actor, filters: SurveyFilter):
    """``query`` narrowed to the actor's offices and the filter's service and period."""
    if ALL_JURISDICTIONS not in actor.jurisdictions:
        query = query.where(SurveyResponse.jurisdiction.in_(sorted(actor.jurisdictions)))
    if filters.service:
        query = query.where(SurveyResponse.service_key == filters.service)
    if filters.date_from is not None:
        query = query.where(SurveyResponse.submitted_at >= filters.date_from)
    if filters.date_to is not None:
        query = query.where(SurveyResponse.submitted_at < filters.date_to)
    return query


def indexes(session: Session, actor: Actor, filters: SurveyFilter = SurveyFilter()) -> tuple[Index, list[Index]]:
    """The index over every response the actor may see (of the filter's service and period), then per service."""
    require_reader(actor)
    query = visible(select(SurveyResponse.service_key, SurveyResponse.answers), actor, filters)
    by_service: dict[str, list[dict]] = {}
    for service, answers in session.execute(query):
        by_service.setdefault(service, []).append(answers)
    everything = [answers for rows in by_service.values() for answers in rows]
    return _index(None, everything), [_index(service, rows) for service, rows in sorted(by_service.items())]
