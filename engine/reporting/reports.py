"""The SLA report (*laporan kinerja layanan*): what managers are judged on, per service, per step, per office.

Figures come from the same rows the inbox reads, so they agree with it:

* **completed** — steps (``task``) completed by office staff, or files (``instance``) completed, whose completion
  falls in ``[date_from, date_to)`` (both optional); cancelled ones are not counted. The applicant's own steps
  (revisions) are not office steps and are left out.
* **median / p90** — of the working time taken (pauses for the applicant excluded), in seconds, interpolated
  linearly between the closest ranks (PostgreSQL's ``percentile_cont``); computed in Python over the selected
  durations because SQLite has no percentile function.
* **within SLA** — completed with a target and ``met``; **share within SLA** = within / completed with a target
  (``None`` when none had a target).
* **open / at risk / breached** — open now (``ready`` or ``claimed`` steps, ``running`` files), whatever the dates.

Every figure exists overall (per service and step; per service for whole files) and per office (the step's
jurisdiction, the file's jurisdiction). Managers and supervisors see the offices they serve; ``*`` or admin: all.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from engine.errors import Forbidden, InvalidInput
from engine.people.access import ADMIN, ALL_JURISDICTIONS, MANAGER, SUPERVISOR, Actor
from engine.services.definitions import PUBLISHED, RETIRED
from engine.sla import clocks, risk
from engine.storage.models import Instance, ServiceDefinition, Task

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

MAX_OVERDUE = 500


@dataclass(frozen=True)
class ReportQuery:
    service: str | None = None
    jurisdiction: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None


@dataclass
class Figures:
    completed: int = 0
    median_seconds: float | None = None
    p90_seconds: float | None = None
    within_sla: int = 0
    with_target: int = 0
    share_within_sla: float | None = None
    open: int = 0
    open_at_risk: int = 0
    open_breached: int = 0


@dataclass
class StepFigures:
    service: str
    service_name: str
    step: str
    step_name: str
    sla: str | None
    jurisdiction: str | None  # None: all offices together
    figures: Figures


@dataclass
class FileFigures:
    service: str
    service_name: str
    sla: str | None
    jurisdiction: str | None
    figures: Figures


@dataclass
class SlaReport:
    generated_at: datetime
    query: ReportQuery
    steps: list[StepFigures] = field(default_factory=list)
    files: list[FileFigures] = field(default_factory=list)
    steps_by_jurisdiction: list[StepFigures] = field(default_factory=list)
    files_by_jurisdiction: list[FileFigures] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def percentile(sorted_values: list[float], share: float) -> float | None:
    """Linear interpolation between closest ranks (``percentile_cont``); ``None`` for no values."""
    if not sorted_values:
        return None
    position = share * (len(sorted_values) - 1)
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def _require_reader(actor: Actor) -> None:
    if not actor.has_role(MANAGER, SUPERVISOR):
        raise Forbidden("Only managers and supervisors can see SLA reports.")


def _offices(actor: Actor) -> list[str] | None:
    """The jurisdictions the actor may report on; None for all."""
    if ADMIN in actor.roles or ALL_JURISDICTIONS in actor.jurisdictions:
        return None
    return sorted(actor.jurisdictions)


def check_filters(session: Session, actor: Actor, *, service: str | None = None,
                  jurisdiction: str | None = None) -> None:
    """Refuse filters that would otherwise quietly give an empty report or list.

    Raises ``Forbidden`` for people who may not read reports and for an office the actor does not serve, and
    ``InvalidInput`` for a service that was never deployed. ``sla_report`` and ``overdue`` themselves narrow to
    the actor's offices without complaint (the dashboard's office menu only offers those).
    """
    _require_reader(actor)
    if service is not None and session.scalar(
            select(ServiceDefinition.id).where(ServiceDefinition.key == service).limit(1)) is None:
        raise InvalidInput(f"There is no service {service!r}. Use a service key such as those GET /api/v1/services "
                           "lists, or leave 'service' out for all services.", {"service": "Unknown service."})
    offices = _offices(actor)
    if jurisdiction is not None and offices is not None and jurisdiction not in offices:
        yours = ", ".join(offices) or "none"
        raise Forbidden(f"You do not serve the office {jurisdiction!r} (your offices: {yours}). Choose one of "
                        "yours, or leave 'jurisdiction' out for all of them.",
                        {"jurisdiction": "Not one of your offices."})


def _check(query: ReportQuery) -> None:
    if query.date_from and query.date_to and query.date_to <= query.date_from:
        raise InvalidInput("'to' must be after 'from'.", {"to": "Use a date after 'from'."})
    for name in ("date_from", "date_to"):
        value = getattr(query, name)
        if value is not None and value.tzinfo is None:
            raise InvalidInput(f"{name} needs a time zone offset.", {name: "Give a time zone, e.g. +08:00."})


def sla_report(session: Session, ctx: EngineContext, actor: Actor, query: ReportQuery = ReportQuery()) -> SlaReport:
    """The report for ``query`` as the actor may see it. Raises ``Forbidden`` / ``InvalidInput``."""
    _require_reader(actor)
    _check(query)
    offices = _offices(actor)
    names = _service_names(session)
    report = SlaReport(generated_at=ctx.now(), query=query)
    steps = _step_figures(session, query, offices, report.generated_at)
    files = _file_figures(session, query, offices, report.generated_at)
    def in_procedure(item) -> tuple:
        (service, step, office), _figures = item
        return _order((service, names.place(service, step), step, office))

    for (service, step, office), figures in sorted(steps.items(), key=in_procedure):
        name, target = names.step(service, step, steps_meta=figures)
        row = StepFigures(service, names.service(service), step, name, target, office, figures.figures)
        (report.steps if office is None else report.steps_by_jurisdiction).append(row)
    for (service, office), figures in sorted(files.items(), key=lambda item: _order(item[0])):
        row = FileFigures(service, names.service(service), names.file_sla(service, figures), office,
                          figures.figures)
        (report.files if office is None else report.files_by_jurisdiction).append(row)
    return report


def _order(key: tuple) -> tuple:
    # All offices first, then each office; within that by service and step (its place in the procedure).
    *rest, office = key
    return (office is not None, office or "", *rest)


@dataclass
class _Group:
    figures: Figures = field(default_factory=Figures)
    durations: list[float] = field(default_factory=list)
    name: str | None = None
    sla: str | None = None


def _finish(groups: dict) -> dict:
    for group in groups.values():
        values = sorted(group.durations)
        figures = group.figures
        figures.median_seconds = percentile(values, 0.5)
        figures.p90_seconds = percentile(values, 0.9)
        figures.share_within_sla = figures.within_sla / figures.with_target if figures.with_target else None
    return groups


def _in_range(column, query: ReportQuery) -> list:
    conditions = []
    if query.date_from is not None:
        conditions.append(column >= query.date_from)
    if query.date_to is not None:
        conditions.append(column < query.date_to)
    return conditions


def _step_figures(session: Session, query: ReportQuery, offices: list[str] | None, now: datetime) -> dict:
    scope = [Task.for_applicant.is_(False)]
    if query.service:
        scope.append(Task.service_key == query.service)
    if query.jurisdiction:
        scope.append(Task.jurisdiction == query.jurisdiction)
    if offices is not None:
        scope.append(Task.jurisdiction.in_(offices))
    groups: dict = defaultdict(_Group)
    keys = (Task.service_key, Task.element_id, Task.jurisdiction)
    done = [Task.state == "completed", *scope, *_in_range(Task.completed_at, query)]
    counted = select(*keys, func.count(), func.sum(case((Task.sla_state == clocks.MET, 1), else_=0)),
                     func.sum(case((Task.sla_state.in_((clocks.MET, clocks.MISSED)), 1), else_=0)),
                     func.max(Task.name), func.max(Task.sla)).where(*done).group_by(*keys)
    for service, step, office, completed, met, targeted, name, target in session.execute(counted):
        for key in ((service, step, None), (service, step, office)):
            group = groups[key]
            group.figures.completed += completed
            group.figures.within_sla += met or 0
            group.figures.with_target += targeted or 0
            group.name, group.sla = group.name or name, group.sla or target
    durations = select(*keys, Task.working_seconds).where(*done, Task.working_seconds.is_not(None))
    for service, step, office, seconds in session.execute(durations):
        groups[(service, step, None)].durations.append(seconds)
        groups[(service, step, office)].durations.append(seconds)
    # At risk as at the report's instant, read off the clock (engine.sla.risk): the SLA pass stores no mark.
    opened = select(*keys, func.count(), func.sum(case((risk.task_at_risk(now), 1), else_=0)),
                    func.sum(case((Task.sla_state == clocks.BREACHED, 1), else_=0)), func.max(Task.name),
                    func.max(Task.sla)).where(Task.state.in_(clocks.OPEN_TASK_STATES), *scope).group_by(*keys)
    for service, step, office, count, at_risk, breached, name, target in session.execute(opened):
        for key in ((service, step, None), (service, step, office)):
            group = groups[key]
            group.figures.open += count
            group.figures.open_at_risk += at_risk or 0
            group.figures.open_breached += breached or 0
            group.name, group.sla = group.name or name, group.sla or target
    return _finish(groups)


def _file_figures(session: Session, query: ReportQuery, offices: list[str] | None, now: datetime) -> dict:
    scope = []
    if query.service:
        scope.append(Instance.service_key == query.service)
    if query.jurisdiction:
        scope.append(Instance.jurisdiction == query.jurisdiction)
    if offices is not None:
        scope.append(Instance.jurisdiction.in_(offices))
    groups: dict = defaultdict(_Group)
    keys = (Instance.service_key, Instance.jurisdiction)
    done = [Instance.status == "completed", *scope, *_in_range(Instance.ended_at, query)]
    counted = select(*keys, func.count(), func.sum(case((Instance.sla_state == clocks.MET, 1), else_=0)),
                     func.sum(case((Instance.sla_state.in_((clocks.MET, clocks.MISSED)), 1), else_=0)),
                     func.max(Instance.sla)).where(*done).group_by(*keys)
    for service, office, completed, met, targeted, target in session.execute(counted):
        for key in ((service, None), (service, office)):
            group = groups[key]
            group.figures.completed += completed
            group.figures.within_sla += met or 0
            group.figures.with_target += targeted or 0
            group.sla = group.sla or target
    durations = select(*keys, Instance.working_seconds).where(*done, Instance.working_seconds.is_not(None))
    for service, office, seconds in session.execute(durations):
        groups[(service, None)].durations.append(seconds)
        groups[(service, office)].durations.append(seconds)
    opened = select(*keys, func.count(), func.sum(case((risk.file_at_risk(now), 1), else_=0)),
                    func.sum(case((Instance.sla_state == clocks.BREACHED, 1), else_=0)), func.max(Instance.sla)) \
        .where(Instance.status == "running", *scope).group_by(*keys)
    for service, office, count, at_risk, breached, target in session.execute(opened):
        for key in ((service, None), (service, office)):
            group = groups[key]
            group.figures.open += count
            group.figures.open_at_risk += at_risk or 0
            group.figures.open_breached += breached or 0
            group.sla = group.sla or target
    return _finish(groups)


class _Names:
    """Service and step names and targets as the published version states them (the newest one deployed when none
    is published): an analyst's draft must not rename a service or change its targets in the managers' report."""

    def __init__(self, rows):
        self.latest: dict[str, tuple[str, dict]] = {}
        for key, name, meta in rows:
            self.latest.setdefault(key, (name, meta or {}))

    def service(self, key: str) -> str:
        return self.latest.get(key, (key, {}))[0] or key

    def step(self, key: str, step: str, steps_meta: _Group) -> tuple[str, str | None]:
        settings = self.latest.get(key, ("", {}))[1].get("tasks", {}).get(step)
        if settings:
            return settings.get("name") or step, settings.get("sla")
        return steps_meta.name or step, steps_meta.sla

    def place(self, key: str, step: str) -> int:
        """Where the step comes in the service's procedure (definitions list steps in flow order); steps the version
        no longer has come after."""
        steps = list(self.latest.get(key, ("", {}))[1].get("tasks", {}))
        return steps.index(step) if step in steps else len(steps)

    def file_sla(self, key: str, group: _Group) -> str | None:
        process = self.latest.get(key, ("", {}))[1].get("process")
        return process.get("sla") if process else group.sla


_AUTHORITY = case({PUBLISHED: 0, RETIRED: 1}, value=ServiceDefinition.status, else_=2)


def _service_names(session: Session) -> _Names:
    return _Names(session.execute(select(ServiceDefinition.key, ServiceDefinition.name_id, ServiceDefinition.meta)
                                  .order_by(ServiceDefinition.key, _AUTHORITY, ServiceDefinition.version.desc())))


CSV_COLUMNS = ("level", "jurisdiction", "service", "service_name", "step", "step_name", "sla", "completed",
               "median_working_hours", "p90_working_hours", "within_sla", "share_within_sla_pct", "open",
               "open_at_risk", "open_breached")


def to_csv(report: SlaReport) -> str:
    """The report as a spreadsheet-ready CSV: one row per service step or whole file, all offices then each office.

    Working time is in hours (two decimals), the share within SLA in percent (one decimal); empty cells mean
    "no data" (nothing completed, or no target).
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for level, rows in (("step", report.steps), ("file", report.files), ("step", report.steps_by_jurisdiction),
                        ("file", report.files_by_jurisdiction)):
        for row in rows:
            f = row.figures
            writer.writerow([
                level, row.jurisdiction or "", row.service, row.service_name, getattr(row, "step", ""),
                getattr(row, "step_name", ""), row.sla or "", f.completed, _hours(f.median_seconds),
                _hours(f.p90_seconds), f.within_sla,
                "" if f.share_within_sla is None else f"{f.share_within_sla * 100:.1f}", f.open, f.open_at_risk,
                f.open_breached])
    return out.getvalue()


def _hours(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds / 3600:.2f}"


@dataclass
class OverdueTask:
    task_id: str
    instance_id: int
    registration_no: str
    applicant_name: str
    service: str
    step: str
    step_name: str
    jurisdiction: str
    holder: str | None  # the officer who claimed it; None while it waits in the groups' inboxes
    candidate_groups: list
    sla: str | None
    created_at: datetime
    due_at: datetime
    breached_at: datetime
    overdue_seconds: float  # working time since it was due


def overdue(session: Session, ctx: EngineContext, actor: Actor, *, service: str | None = None,
            jurisdiction: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[OverdueTask], int]:
    """Open breached steps the actor may see, longest overdue first, and how many there are in total."""
    _require_reader(actor)
    if not 1 <= limit <= MAX_OVERDUE or offset < 0:
        raise InvalidInput(f"Use a limit of 1 to {MAX_OVERDUE} and an offset of 0 or more.",
                           {"limit": f"Use 1 to {MAX_OVERDUE}.", "offset": "Use 0 or more."})
    conditions = [Task.state.in_(clocks.OPEN_TASK_STATES), Task.sla_state == clocks.BREACHED]
    if service:
        conditions.append(Task.service_key == service)
    if jurisdiction:
        conditions.append(Task.jurisdiction == jurisdiction)
    offices = _offices(actor)
    if offices is not None:
        conditions.append(Task.jurisdiction.in_(offices))
    total = session.scalar(select(func.count(Task.id)).where(*conditions)) or 0
    rows = session.execute(
        select(Task, Instance.registration_no, Instance.applicant_name).join(Instance, Instance.id == Task.instance_id)
        .where(*conditions).order_by(Task.due_at, Task.id).offset(offset).limit(limit))
    now = ctx.now()
    found = []
    for task, registration_no, applicant_name in rows:
        calendar = clocks.calendar_of(ctx, task.sla_calendar, task.jurisdiction)
        late = max(calendar.working_time_between(task.due_at, now), clocks.ZERO) if task.due_at else clocks.ZERO
        found.append(OverdueTask(
            task_id=task.id, instance_id=task.instance_id, registration_no=registration_no,
            applicant_name=applicant_name, service=task.service_key, step=task.element_id, step_name=task.name,
            jurisdiction=task.jurisdiction, holder=task.assignee, candidate_groups=list(task.candidate_groups),
            sla=task.sla, created_at=task.created_at, due_at=task.due_at, breached_at=task.breached_at,
            overdue_seconds=late.total_seconds()))
    return found, total
