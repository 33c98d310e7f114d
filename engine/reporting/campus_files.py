"""One page of a campus's students' files (``/campus``, ``GET /api/v1/campus/files``), filtered and searched in SQL.

A campus with hundreds of students has thousands of files over the years, so the page cannot load them all and
sort them out in Python (it used to load the newest 200 with their workflow states and filter those, which hid every
older file). Here the status people read (``timeline.status``) is turned into SQL:

- cancelled and error are the file's own status;
- a running file *needs action* when one of its open steps is the applicant's, else it is *in process*;
- a finished file with a stored letter is *issued*; otherwise what its end event means decides (approve → issued,
  reject → rejected, anything else → closed). That meaning lives in each version's meta, so the distinct
  (version, end event) pairs of the campus's finished files are read first (a handful) and sorted in Python with the
  same rule the file pages use, then named in the query.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, exists, false, func, or_, select, tuple_
from sqlalchemy.orm import Session, defer

from engine.bpmn import choices
from engine.errors import Forbidden
from engine.people.access import Actor
from engine.reporting import timeline
from engine.storage.models import Instance, IssuedLetter, ServiceDefinition, Task
from engine.texts import N_, Text

PAGE_SIZE = 50
OPEN_STATES = ("ready", "claimed")


@dataclass
class Page:
    files: list[Instance]
    total: int  # files matching the filter, over every page
    offset: int
    limit: int

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.files) < self.total

    @property
    def has_previous(self) -> bool:
        return self.offset > 0


def page(session: Session, actor: Actor, *, status: str = "", query: str = "", offset: int = 0,
         limit: int | None = None) -> Page:
    """The files of ``actor``'s campus (operators only) matching ``status`` (one of ``timeline.STATUSES`` or empty)
    and ``query`` (registration number, applicant's name or username), newest first."""
    code = actor.institution_operator
    if code is None:
        raise Forbidden(Text(N_("Only an institution's operators can list its students' files.")))
    conditions = [Instance.institution_code == code]
    if status:
        conditions.append(_status_condition(session, code, status))
    words = " ".join((query or "").split())[:200]
    if words:
        like = f"%{_escape_like(words.lower())}%"
        conditions.append(or_(func.lower(Instance.registration_no).like(like, escape="\\"),
                              func.lower(Instance.applicant_name).like(like, escape="\\"),
                              func.lower(Instance.applicant).like(like, escape="\\")))
    offset, limit = max(0, int(offset)), max(1, min(int(limit or PAGE_SIZE), 200))
    total = session.scalar(select(func.count()).select_from(Instance).where(*conditions)) or 0
    # The workflow state is the heavy column and the page never reads it.
    files = list(session.scalars(select(Instance).options(defer(Instance.state)).where(*conditions)
                                 .order_by(Instance.started_at.desc(), Instance.id.desc())
                                 .offset(offset).limit(limit)))
    return Page(files=files, total=total, offset=offset, limit=limit)


def _status_condition(session: Session, code: str, status: str):
    lettered = exists().where(IssuedLetter.instance_id == Instance.id)
    applicant_step = exists().where(Task.instance_id == Instance.id, Task.state.in_(OPEN_STATES),
                                    Task.for_applicant.is_(True))
    if status == timeline.CANCELLED:
        return Instance.status == "cancelled"
    if status == timeline.ERROR:
        return Instance.status == "error"
    if status == timeline.NEEDS_ACTION:
        return and_(Instance.status == "running", applicant_step)
    if status == timeline.IN_PROCESS:
        return and_(Instance.status == "running", ~applicant_step)
    if status not in (timeline.ISSUED, timeline.REJECTED_STATUS, timeline.CLOSED):
        return false()  # an unknown status matches nothing (the page offers only the known ones)
    approve, reject = _ending_meanings(session, code)
    finished = Instance.status == "completed"
    ending = tuple_(Instance.definition_id, Instance.outcome)
    approved = ending.in_(approve) if approve else false()
    rejected = ending.in_(reject) if reject else false()
    if status == timeline.ISSUED:
        return and_(finished, or_(lettered, approved))
    if status == timeline.REJECTED_STATUS:
        return and_(finished, ~lettered, rejected)
    return and_(finished, ~lettered, ~approved, ~rejected)


def _ending_meanings(session: Session, code: str) -> tuple[list[tuple], list[tuple]]:
    """The (version, end event) pairs of the campus's finished files that mean approve, and those that mean
    reject."""
    pairs = session.execute(select(Instance.definition_id, Instance.outcome).distinct()
                            .where(Instance.institution_code == code, Instance.status == "completed")).all()
    metas = dict(session.execute(select(ServiceDefinition.id, ServiceDefinition.meta)
                                 .where(ServiceDefinition.id.in_({d for d, _ in pairs}))).all()) if pairs else {}
    approve, reject = [], []
    for definition_id, outcome in pairs:
        meaning = choices.outcome_meaning(metas.get(definition_id), outcome)
        if meaning == choices.APPROVE:
            approve.append((definition_id, outcome))
        elif meaning == choices.REJECT:
            reject.append((definition_id, outcome))
    return approve, reject


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def open_steps(session: Session, files: list[Instance]) -> dict[int, list[Task]]:
    """The open steps of each of ``files`` (one query), oldest first."""
    steps: dict[int, list[Task]] = {}
    if files:
        for task in session.scalars(select(Task).where(Task.instance_id.in_([f.id for f in files]),
                                                       Task.state.in_(OPEN_STATES)).order_by(Task.created_at)):
            steps.setdefault(task.instance_id, []).append(task)
    return steps


def lettered(session: Session, files: list[Instance]) -> set[int]:
    """Which of ``files`` have a stored permit letter (one query instead of loading each finished workflow)."""
    if not files:
        return set()
    return set(session.scalars(select(IssuedLetter.instance_id).where(
        IssuedLetter.instance_id.in_([f.id for f in files]))))


def status_of(instance: Instance, steps: list[Task], with_letter: set[int]) -> str:
    """The status people read, as ``_status_condition`` selects it: a file with a stored letter is issued."""
    return timeline.ISSUED if instance.id in with_letter else timeline.status(instance, steps)
