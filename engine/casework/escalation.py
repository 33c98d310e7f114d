"""The SLA pass and what a breach sets off.

One pass (:func:`run_pass`, one transaction) claims up to ``batch`` overdue steps and files (``engine.sla.clocks``:
rows another scheduler process holds are skipped, never waited for) and, in the same transaction, acts on each
breach exactly once (turning *at risk* sets nothing off and is not stored: ``engine.sla.risk``):

* an audit event (``sla_breached`` / ``sla_file_breached``, actor ``system``);
* a notification to the officers of the step's candidate groups in its office, whoever holds it, and the office's
  supervisors (for an applicant's own step: the applicant);
* ``sla.escalate=<group>`` on the step: the step is taken from whoever held it and handed to that group;
* ``sla.on_breach=approve`` on the step or the service: the approving decision is owed (``sla_action``) and taken
  automatically — *fiktif positif* (PP 28/2025) — recorded as such in the audit log (``fiktif_positif``, actor
  ``system``) and on the decision. A breached whole file approves every office step still open, until the file ends
  or waits for the applicant. The approving choice is ``sla.approve`` if the diagram names it, else the choice that
  means approve (``engine.bpmn.choices``: ``decision.meaning`` on its flow, else its words — *Setujui*,
  *Rekomendasikan*, *Layak* …); without one the step stays breached and the audit log says why
  (``fiktif_positif_failed``).

A decision owed is taken in the same pass when the application and all its open steps can be locked without
waiting, otherwise in a later one: an officer completing a step at that moment is never blocked by the scheduler,
and no decision is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import String, cast, delete, or_, select, update
from sqlalchemy.orm import Session

from engine import cycle_collector
from engine.bpmn.choices import DECISION_PROPERTY, approving_choice
from engine.bpmn.rewrite import DECISION_FIELD
from engine.casework import signing_step
from engine.casework.step import RUNNING, Step, advancing
from engine.documents.signing.port import Credentials
from engine.errors import Conflict, ProcessError
from engine.messaging import notifications
from engine.messaging.notifications import Directory, Message, Person
from engine.sla import clocks
from engine.storage import audit, locks
from engine.storage.models import Event, Instance, ServiceDefinition, Task, TaskCandidate, User
from engine.storage.sql import insert_rows, set_loaded
from engine.texts import ENGLISH, INDONESIAN, N_

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

SYSTEM = "system"
APPROVE = "approve"
APPROVED, REFUSED, BUSY, GONE = "approved", "refused", "busy", "gone"
# Enough for any real chain of office steps; stops a diagram that loops back to an office step forever.
MAX_AUTOMATIC_STEPS = 20


@dataclass
class PassResult:
    # No at-risk counts: at risk is read off the clock when shown (engine.sla.risk); the pass writes no mark.
    breached: int = 0
    files_breached: int = 0
    notified: int = 0
    escalated: int = 0
    approved: int = 0
    more: bool = False

    def add(self, other: PassResult) -> None:
        for item in fields(self):
            if item.name != "more":
                setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))
        self.more = other.more


def run_pass(session: Session, ctx: EngineContext, *, batch: int = 1000, now: datetime | None = None,
             approve: bool = True) -> PassResult:
    """One pass in the caller's transaction; ``more`` says another batch of breaches is waiting.

    ``approve=False`` leaves the decisions owed to the caller, who takes them in a transaction of its own.
    """
    now = now or ctx.now()
    result = PassResult()
    tasks = clocks.claim_breached_tasks(session, now, batch)
    files = clocks.claim_breached_files(session, now, batch)
    result.breached, result.files_breached = len(tasks), len(files)
    breaches = _Breaches(session, ctx, now, result)
    if tasks or files:
        with cycle_collector.paused():
            breaches.act(tasks, files)
    if approve:
        breaches.approve_owed(batch)
    result.more = len(tasks) == batch or len(files) == batch
    return result


def approve_owed(session: Session, ctx: EngineContext, *, batch: int = 1000, now: datetime | None = None
                 ) -> PassResult:
    """Take up to ``batch`` automatic decisions owed (fiktif positif) in the caller's transaction."""
    result = PassResult()
    _Breaches(session, ctx, now or ctx.now(), result).approve_owed(batch)
    return result


@dataclass(frozen=True)
class _File:
    id: int
    definition_id: int
    registration_no: str
    applicant: str
    jurisdiction: str


class _Breaches:
    """Acts on one batch of breaches with the few lookups the batch needs (people, files, definitions)."""

    def __init__(self, session: Session, ctx: EngineContext, now: datetime, result: PassResult):
        self.session, self.ctx, self.now, self.result = session, ctx, now, result
        self.directory: Directory | None = None
        self.files: dict[int, _File] = {}
        self.meta: dict[int, dict] = {}
        # A batch's notices share their texts but for the file's number and due time: each rendered once.
        self.texts = notifications.Bilingual()
        self.targets: dict[tuple, tuple[str, str]] = {}

    def act(self, tasks: list[clocks.BreachedTask], files: list[clocks.BreachedFile]) -> None:
        """Audit, notify and escalate each breach; mark the ones owed an automatic decision (``sla_action``)."""
        named = {t.assignee for t in tasks if t.assignee} | {f.applicant for f in files}
        self.directory = _directory(self.session, named)
        self.files = _files(self.session, {t.instance_id for t in tasks})
        self.meta.update(_metas(self.session, {f.definition_id for f in self.files.values()}
                                | {f.definition_id for f in files}))
        events, messages, escalations, approvals = [], [], [], []
        for task in tasks:
            file = self.files[task.instance_id]
            settings, process = self._settings(file.definition_id, task.element_id)
            events.append(audit.entry("sla_breached", actor=SYSTEM, at=self.now, instance_id=task.instance_id,
                                      task_id=task.id, element_id=task.element_id, sla=task.sla,
                                      due_at=task.due_at.isoformat(), breached_at=task.breached_at.isoformat()))
            messages.extend(self._breach_messages(task, file))
            if task.for_applicant:
                continue
            if settings.get("sla_escalate"):
                escalations.append((task, settings["sla_escalate"].strip()))
            if _on_breach(settings, process) == APPROVE:
                approvals.append(task)
        for file in files:
            events.append(audit.entry("sla_file_breached", actor=SYSTEM, at=self.now, instance_id=file.id,
                                      sla=file.sla, due_at=file.sla_due_at.isoformat(),
                                      breached_at=file.sla_breached_at.isoformat()))
            messages.extend(self._file_messages(file))
        insert_rows(self.session, Event.__table__, events)
        self.result.notified += notifications.enqueue(self.session, self.ctx, messages)
        if escalations:
            self._escalate(escalations)
        owed_files = [f.id for f in files if _on_breach({}, self.meta[f.definition_id].get("process", {})) == APPROVE]
        for table, ids in ((Task.__table__, [t.id for t in approvals]), (Instance.__table__, owed_files)):
            if ids:
                self.session.execute(update(table).where(table.c.id.in_(ids)).values(sla_action=APPROVE)
                                     .execution_options(synchronize_session=False))

    def _settings(self, definition_id: int, element_id: str) -> tuple[dict, dict]:
        meta = self.meta[definition_id]
        return meta.get("tasks", {}).get(element_id, {}), meta.get("process", {})

    # --- notifications ---------------------------------------------------------------------------------------

    def _message(self, kind: str, person: Person | str, subject: str, body: str, *, instance_id: int,
                 task_id: str | None, key: str, data: dict) -> Message:
        username = person.username if isinstance(person, Person) else person
        return Message(kind=kind, recipient=username, subject=subject, body=body,
                       email=self.directory.email_of(username), instance_id=instance_id, task_id=task_id,
                       data=data, dedupe_key=f"{key}:{username}")

    def _breach_messages(self, task: clocks.BreachedTask, file: _File) -> list[Message]:
        if task.for_applicant:
            people = [file.applicant]
        else:
            people = [*self.directory.officers(task.candidate_groups, task.jurisdiction),
                      *([task.assignee] if task.assignee else []), *self.directory.supervisors(task.jurisdiction)]
        due = notifications.local_time(self.ctx, task.due_at, task.jurisdiction)
        target_id, target_en = self._target_words(task.sla, task.sla_calendar)
        step_en = notifications.step_in_english(self.meta.get(file.definition_id), task.element_id, task.name)
        subject, body = self.texts.say(
            N_("Overdue: %(step)s — %(reg)s"),
            N_("Task \"%(step)s\" of application %(reg)s is overdue (target %(target)s, due %(due)s). Please complete "
               "it now."),
            {"step": task.name}, {"reg": file.registration_no, "due": due},
            {INDONESIAN: {"target": target_id}, ENGLISH: {"target": target_en, "step": step_en}})
        data = {"registration_no": file.registration_no, "step": task.element_id, "due_at": task.due_at.isoformat()}
        return [self._message(notifications.SLA_BREACHED, person, subject, body, instance_id=task.instance_id,
                              task_id=task.id, key=f"sla_breached:{task.id}", data=data)
                for person in _unique(people)]

    def _target_words(self, sla: str | None, calendar: str | None) -> tuple[str, str]:
        key = (sla, calendar)
        if key not in self.targets:
            self.targets[key] = clocks.target_words(sla, calendar)
        return self.targets[key]

    def _file_messages(self, file: clocks.BreachedFile) -> list[Message]:
        due = notifications.local_time(self.ctx, file.sla_due_at, file.jurisdiction)
        target_id, target_en = self._target_words(file.sla, file.sla_calendar)
        subject, body = self.texts.say(
            N_("Application overdue: %(reg)s"),
            N_("Application %(reg)s has exceeded the service's completion time (target %(target)s, due %(due)s)."),
            {}, {"reg": file.registration_no, "due": due},
            {INDONESIAN: {"target": target_id}, ENGLISH: {"target": target_en}})
        data = {"registration_no": file.registration_no, "due_at": file.sla_due_at.isoformat()}
        return [self._message(notifications.SLA_FILE_BREACHED, person, subject, body, instance_id=file.id,
                              task_id=None, key=f"sla_file_breached:{file.id}", data=data)
                for person in _unique(self.directory.supervisors(file.jurisdiction))]

    # --- escalation --------------------------------------------------------------------------------------------

    def _escalate(self, escalations: list[tuple[clocks.BreachedTask, str]]) -> None:
        """Take each step from whoever held it and hand it to its escalation group: a few statements per target
        group, however many steps a pass escalates. A step closed meanwhile is left alone."""
        by_group: dict[str, list[clocks.BreachedTask]] = {}
        for task, group in escalations:
            by_group.setdefault(group, []).append(task)
        table = Task.__table__
        candidates, events, messages = [], [], []
        for group, tasks in by_group.items():
            handed = set(self.session.scalars(
                update(table).where(table.c.id.in_(sorted(t.id for t in tasks)),
                                    table.c.state.in_(clocks.OPEN_TASK_STATES))
                .values(candidate_groups=[group], assignee=None, state="ready", claimed_at=None)
                .returning(table.c.id)))
            for task in tasks:
                if task.id in handed:
                    candidates.append({"task_id": task.id, "group_name": group})
                    events.append(audit.entry("task_escalated", actor=SYSTEM, at=self.now,
                                              instance_id=task.instance_id, task_id=task.id,
                                              element_id=task.element_id, to_group=group,
                                              from_groups=list(task.candidate_groups),
                                              previous_assignee=task.assignee))
                    messages.extend(self._escalation_messages(task, group))
        if not candidates:
            return
        links = TaskCandidate.__table__
        self.session.execute(delete(links).where(links.c.task_id.in_([c["task_id"] for c in candidates])))
        insert_rows(self.session, links, candidates)
        insert_rows(self.session, Event.__table__, events)
        self.result.notified += notifications.enqueue(self.session, self.ctx, messages)
        self.result.escalated += len(candidates)

    def _escalation_messages(self, task: clocks.BreachedTask, group: str) -> list[Message]:
        file = self.files[task.instance_id]
        step_en = notifications.step_in_english(self.meta.get(file.definition_id), task.element_id, task.name)
        subject, body = self.texts.say(
            N_("Task escalated to %(group)s: %(step)s — %(reg)s"),
            N_("Task \"%(step)s\" of application %(reg)s is overdue and was handed to group %(group)s."),
            {"step": task.name, "group": group}, {"reg": file.registration_no}, {ENGLISH: {"step": step_en}})
        return [self._message(notifications.ESCALATED, person, subject, body, instance_id=task.instance_id,
                              task_id=task.id, key=f"task_escalated:{task.id}", data={"group": group})
                for person in _unique(self.directory.officers([group], task.jurisdiction))]

    # --- fiktif positif --------------------------------------------------------------------------------------
    #
    # Decisions owed are taken apart from the breach itself, each only when the application and all its open steps
    # can be locked without waiting (engine.storage.locks): otherwise an officer or another scheduler is working on
    # it, and
    # the next pass tries again. The mark (sla_action) is cleared once the decision is taken or found impossible.

    def approve_owed(self, limit: int) -> None:
        steps = self.session.execute(locks.skip_locked(
            select(Task.id, Task.instance_id).where(Task.sla_action == APPROVE, Task.completed_at.is_(None))
            .order_by(Task.breached_at, Task.id).limit(limit))).all()
        files = self.session.scalars(locks.skip_locked(
            select(Instance.id).where(Instance.sla_action == APPROVE).order_by(Instance.id).limit(limit))).all()
        if not steps and not files:
            return
        self._lookups({instance_id for _, instance_id in steps} | set(files))
        for task_id, instance_id in steps:
            if locks.try_lock_application(self.session, instance_id):
                self._approve(task_id, reason="step")
        for instance_id in files:
            if locks.try_lock_application(self.session, instance_id):
                self._approve_file(instance_id)

    def _lookups(self, instance_ids: set[int]) -> None:
        if self.directory is None:
            self.directory = _directory(self.session, set())
        definitions = set(self.session.scalars(select(Instance.definition_id).where(
            Instance.id.in_(sorted(instance_ids)))))
        self.meta.update(_metas(self.session, definitions - set(self.meta)))

    def _approve_file(self, instance_id: int) -> None:
        refused: set[str] = set()
        outcome = "refused"
        for _ in range(MAX_AUTOMATIC_STEPS):
            open_steps = [task_id for task_id in self.session.scalars(select(Task.id).where(
                Task.instance_id == instance_id, Task.state.in_(clocks.OPEN_TASK_STATES),
                Task.for_applicant.is_(False)).order_by(Task.created_at, Task.id)) if task_id not in refused]
            if not open_steps:
                outcome = "done"
                break
            results = [(task_id, self._approve(task_id, reason="file")) for task_id in open_steps]
            refused.update(task_id for task_id, result in results if result == REFUSED)
            if any(result == BUSY for _, result in results):
                return  # keep the mark: the next pass goes on from here
            if not any(result == APPROVED for _, result in results):
                break
        self.session.execute(update(Instance.__table__).where(Instance.__table__.c.id == instance_id)
                             .values(sla_action=None if outcome == "done" else "failed")
                             .execution_options(synchronize_session=False))

    def _approve(self, task_id: str, *, reason: str) -> str:
        """Take the approving decision on an open office step: APPROVED, REFUSED (logged why), BUSY or GONE."""
        task = self.session.get(Task, task_id, populate_existing=True)
        instance = self.session.get(Instance, task.instance_id, populate_existing=True) if task else None
        if task is None or task.state not in clocks.OPEN_TASK_STATES or instance.status != RUNNING:
            return GONE
        settings, process = self._settings(instance.definition_id, task.element_id)
        choice = approving_choice(task.decision_choices, settings, process)
        if task.decision_choices and choice is None:
            return self._refused(task, f"none of the choices {task.decision_choices} is known to approve; "
                                       f"write {DECISION_PROPERTY}=approve on its flow or name it with sla.approve")
        data = {"fiktif_positif": True, **({DECISION_FIELD: choice} if choice else {})}
        try:
            # A signing step deemed approved issues its letter as the head's choice would (the office's certificate
            # signs; a personal BSrE signature cannot be made without its signer, and the step stays breached).
            data = signing_step.sign_on_approval(self.session, self.ctx, task, instance, SYSTEM, data, choice,
                                                 Credentials())
            with advancing(self.session, self.ctx, instance, actor=SYSTEM) as step:
                try:
                    spiff_task = step.ready_task(task.id, name=task.name)
                except Conflict:
                    return GONE  # decided or withdrawn since the breach was marked
                step.complete(spiff_task, data)
        except ProcessError as exc:
            return self._refused(task, f"the process failed at {exc.element_id}: {exc.message}")
        try:
            with self.session.begin_nested():
                self._record_approval(task, step, data, choice, reason)
        except Conflict:
            return BUSY
        self.result.approved += 1
        return APPROVED

    def _record_approval(self, task: Task, step: Step, data: dict, choice: str | None, reason: str) -> None:
        instance = step.instance
        closing = {"state": "completed", "completed_at": self.now, "completed_by": SYSTEM, "decision": choice,
                   "sla_action": None, **clocks.closing_values(self.ctx, task, self.now, completed=True)}
        closed = self.session.execute(
            update(Task.__table__).where(Task.__table__.c.id == task.id,
                                         Task.__table__.c.state.in_(clocks.OPEN_TASK_STATES))
            .values(**closing)).rowcount
        if closed != 1:
            raise Conflict(f"Task {task.name!r} was closed at the same moment.")
        set_loaded(task, closing)
        where = {"actor": SYSTEM, "at": self.now, "instance_id": instance.id, "task_id": task.id,
                 "element_id": task.element_id}
        events = [audit.entry("fiktif_positif", legal_basis="PP 28/2025", breach=reason, decision=choice,
                              **where),
                  audit.entry("task_completed", data=data, decision=choice, fiktif_positif=True, **where)]
        if choice is not None:
            events.append(audit.entry("decision", decision=choice, fiktif_positif=True, **where))
        audit.record_all(self.session, *events)
        subject, body = notifications.in_both_languages(
            N_("Approved automatically (fiktif positif): %(step)s — %(reg)s"),
            N_("Step \"%(step)s\" of application %(reg)s ran out of time and is deemed approved (fiktif positif, "
               "PP 28/2025)%(choice)s."),
            {"step": task.name, "reg": instance.registration_no, "choice": f": {choice}" if choice else ""})
        self.result.notified += notifications.enqueue(self.session, self.ctx, [
            self._message(notifications.FIKTIF_POSITIF, person, subject, body, instance_id=instance.id,
                          task_id=task.id, key=f"fiktif_positif:{task.id}", data={"decision": choice})
            for person in _unique(self.directory.supervisors(task.jurisdiction))])
        step.finish()

    def _refused(self, task: Task, why: str) -> str:
        audit.record(self.session, "fiktif_positif_failed", actor=SYSTEM, at=self.now, instance_id=task.instance_id,
                     task_id=task.id, element_id=task.element_id, reason=why)
        self.session.execute(update(Task.__table__).where(Task.__table__.c.id == task.id)
                             .values(sla_action="failed").execution_options(synchronize_session=False))
        return REFUSED


def _on_breach(settings: dict, process: dict) -> str | None:
    for properties in (settings.get("properties") or {}, process.get("properties") or {}):
        value = (properties.get("sla.on_breach") or "").strip().lower()
        if value:
            return value
    return None


def _unique(people) -> list:
    seen, found = set(), []
    for person in people:
        name = person.username if isinstance(person, Person) else person
        if name and name not in seen:
            seen.add(name)
            found.append(person)
    return found


def _directory(session: Session, usernames: set[str]) -> Directory:
    """Staff who may be notified, plus the named people (holders of steps, applicants) for their addresses."""
    roles = cast(User.roles, String)
    staff = or_(roles.like('%"officer"%'), roles.like('%"supervisor"%'))
    who = or_(staff, User.username.in_(sorted(usernames))) if usernames else staff
    return Directory.from_rows(session.execute(
        select(User.username, User.email, User.roles, User.groups, User.jurisdictions)
        .where(User.active.is_(True), who)))


def _files(session: Session, ids: set[int]) -> dict[int, _File]:
    if not ids:
        return {}
    rows = session.execute(select(Instance.id, Instance.definition_id, Instance.registration_no, Instance.applicant,
                                  Instance.jurisdiction).where(Instance.id.in_(sorted(ids))))
    return {row.id: _File(*row) for row in rows}


def _metas(session: Session, ids: set[int]) -> dict[int, dict]:
    if not ids:
        return {}
    rows = session.execute(select(ServiceDefinition.id, ServiceDefinition.meta)
                           .where(ServiceDefinition.id.in_(sorted(ids))))
    return {row.id: row.meta or {} for row in rows}
