"""How files and decisions ended, beside the SLA report (``engine.reporting.reports``), for the same period, offices
and services:

* **files per service** — *issued* (the end event means approval), *rejected*, *closed* otherwise, *withdrawn*
  (cancelled by the applicant or the office), each with how many of the issued and the rejected were within the
  file's SLA: a quick refusal is not a permit delivered on time, so the two are never added together. Files are
  counted by when they ended, in ``[date_from, date_to)``.
* **time held by the applicant** — the working time the file's clock stood still while it waited for the applicant
  (steps with ``sla.pause``: revisions), shown apart from the office's own working time, since it explains why a
  whole file took long although every office step was on time;
* **steps per service** — office steps by what the decision taken meant (approve / return / reject / other, as the
  deploy resolved each choice), and the applicant's own steps with the time they held the file.

Meanings come from each application's own definition version (``engine.bpmn.choices``), so renaming an end event
in a later version does not change what earlier files count as.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.bpmn import choices
from engine.people.access import Actor
from engine.reporting.reports import (
    ReportQuery,
    _check,
    _in_range,
    _offices,
    _require_reader,
    _service_names,
    percentile,
)
from engine.sla import clocks
from engine.storage.models import Instance, ServiceDefinition, Task

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

ISSUED, REJECTED, CLOSED, WITHDRAWN = "issued", "rejected", "closed", "withdrawn"


@dataclass
class FileOutcomes:
    service: str
    service_name: str
    issued: int = 0
    rejected: int = 0
    closed: int = 0
    withdrawn: int = 0
    issued_within_sla: int = 0
    issued_with_target: int = 0
    rejected_within_sla: int = 0
    rejected_with_target: int = 0
    office_median_seconds: float | None = None  # working time the office took (pauses excluded), ended files
    held_files: int = 0  # ended files that waited for their applicant at all
    held_median_seconds: float | None = None  # of those files: working time the clock stood still
    held_total_seconds: float = 0.0
    _office: list = field(default_factory=list, repr=False)
    _held: list = field(default_factory=list, repr=False)

    @property
    def ended(self) -> int:
        return self.issued + self.rejected + self.closed + self.withdrawn


@dataclass
class StepOutcomes:
    service: str
    service_name: str
    step: str
    step_name: str
    for_applicant: bool
    completed: int = 0
    approved: int = 0
    returned: int = 0
    rejected: int = 0
    other: int = 0
    held_median_seconds: float | None = None  # the applicant's steps: working time they held the file
    _held: list = field(default_factory=list, repr=False)


@dataclass
class Outcomes:
    query: ReportQuery
    files: list[FileOutcomes]
    steps: list[StepOutcomes]

    def as_dict(self) -> dict:
        def plain(row) -> dict:
            return {k: v for k, v in asdict(row).items() if not k.startswith("_")}
        return {"files": [{**plain(row), "ended": row.ended} for row in self.files],
                "steps": [plain(row) for row in self.steps]}


def outcomes(session: Session, ctx: EngineContext, actor: Actor, query: ReportQuery = ReportQuery()) -> Outcomes:
    """Outcomes for ``query`` as the actor may see them. Raises ``Forbidden`` / ``InvalidInput`` as the SLA report."""
    _require_reader(actor)
    _check(query)
    offices = _offices(actor)
    names = _service_names(session)
    metas = {key: meta for key, meta in session.execute(select(ServiceDefinition.id, ServiceDefinition.meta))}
    return Outcomes(query, _files(session, query, offices, names, metas), _steps(session, query, offices, names, metas))


def _scope(column_service, column_office, query: ReportQuery, offices) -> list:
    scope = []
    if query.service:
        scope.append(column_service == query.service)
    if query.jurisdiction:
        scope.append(column_office == query.jurisdiction)
    if offices is not None:
        scope.append(column_office.in_(offices))
    return scope


def _files(session, query, offices, names, metas) -> list[FileOutcomes]:
    rows: dict[str, FileOutcomes] = {}
    scope = _scope(Instance.service_key, Instance.jurisdiction, query, offices)
    ended = [Instance.status.in_(("completed", "cancelled")), *scope, *_in_range(Instance.ended_at, query)]
    keys = (Instance.service_key, Instance.definition_id, Instance.status, Instance.outcome, Instance.sla_state)
    for service, definition_id, status, outcome, sla_state, count in session.execute(
            select(*keys, func.count()).where(*ended).group_by(*keys)):
        row = rows.setdefault(service, FileOutcomes(service, names.service(service)))
        if status == "cancelled":
            row.withdrawn += count
            continue
        meaning = choices.outcome_meaning(metas.get(definition_id), outcome)
        targeted, met = count * (sla_state in (clocks.MET, clocks.MISSED)), count * (sla_state == clocks.MET)
        if meaning == choices.APPROVE:
            row.issued, row.issued_with_target, row.issued_within_sla = (
                row.issued + count, row.issued_with_target + targeted, row.issued_within_sla + met)
        elif meaning == choices.REJECT:
            row.rejected, row.rejected_with_target, row.rejected_within_sla = (
                row.rejected + count, row.rejected_with_target + targeted, row.rejected_within_sla + met)
        else:
            row.closed += count
    # Medians need the values: only the two columns, only of the files that ended (not withdrawn).
    for service, worked, paused in session.execute(
            select(Instance.service_key, Instance.working_seconds, Instance.paused_seconds)
            .where(*ended, Instance.status == "completed")):
        row = rows[service]
        if worked is not None:
            row._office.append(worked)
        if paused:
            row._held.append(paused)
    for row in rows.values():
        row.office_median_seconds = percentile(sorted(row._office), 0.5)
        row.held_files, row.held_total_seconds = len(row._held), float(sum(row._held))
        row.held_median_seconds = percentile(sorted(row._held), 0.5)
    return sorted(rows.values(), key=lambda r: r.service)


_MEANING_FIELD = {choices.APPROVE: "approved", choices.RETURN: "returned", choices.REJECT: "rejected"}


def _steps(session, query, offices, names, metas) -> list[StepOutcomes]:
    rows: dict[tuple[str, str], StepOutcomes] = {}
    scope = _scope(Task.service_key, Task.jurisdiction, query, offices)
    done = [Task.state == "completed", *scope, *_in_range(Task.completed_at, query)]
    counted = select(Task.service_key, Task.element_id, Instance.definition_id, Task.decision, Task.for_applicant,
                     func.count(), func.max(Task.name)) \
        .join(Instance, Instance.id == Task.instance_id).where(*done) \
        .group_by(Task.service_key, Task.element_id, Instance.definition_id, Task.decision, Task.for_applicant)
    for service, step, definition_id, decision, for_applicant, count, name in session.execute(counted):
        row = rows.get((service, step))
        if row is None:
            meta_step = ((names.latest.get(service, ("", {}))[1].get("tasks") or {}).get(step) or {})
            row = rows[(service, step)] = StepOutcomes(service, names.service(service), step,
                                                       meta_step.get("name") or name or step, bool(for_applicant))
        row.completed += count
        meta = metas.get(definition_id) or {}
        meaning = choices.choice_meaning(decision, (meta.get("tasks") or {}).get(step) or {}, meta.get("process"))
        field_name = _MEANING_FIELD.get(meaning, "other")
        setattr(row, field_name, getattr(row, field_name) + count)
    held = select(Task.service_key, Task.element_id, Task.working_seconds) \
        .where(*done, Task.for_applicant.is_(True), Task.working_seconds.is_not(None))
    for service, step, seconds in session.execute(held):
        if (service, step) in rows:
            rows[(service, step)]._held.append(seconds)
    for row in rows.values():
        row.held_median_seconds = percentile(sorted(row._held), 0.5)
    return sorted(rows.values(), key=lambda r: (r.service, names.place(r.service, r.step), r.step))
