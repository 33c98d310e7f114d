"""The step: the one skeleton every path that advances an application's workflow goes through.

A person completing a task, a due timer firing, the SLA pass deciding a breached step (*fiktif positif*), an
application starting or resuming — each loads the workflow, advances it, and either finishes the step (state saved
under the optimistic lock, task table reconciled, SLA clocks settled, notifications queued) or, when a script or
condition fails, flags the application with the failing element and keeps the last good state::

    with advancing(session, ctx, instance, actor=username) as step:
        spiff_task = step.ready_task(task.id, name=task.name)   # Conflict if it is no longer waiting
        step.complete(spiff_task, data)                          # ProcessError: flagged, then raised
        open_tasks = step.finish()

The body decides when to finish, because a completion writes the closing of its task and its audit events in the
same round trip as the save; a ``ProcessError`` leaving the block always flags the application first.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy.orm import Session

from engine.casework import bills, external_outbox, projection, waiting
from engine.documents import issued_letters
from engine.errors import Conflict, ProcessError
from engine.messaging import notifications
from engine.observability import STEP_SECONDS
from engine.sla import clocks
from engine.storage import audit, sql
from engine.storage.models import Instance, Task
from engine.texts import N_, Text
from engine.workflow import runtime

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

RUNNING, COMPLETED, ERROR, CANCELLED = "running", "completed", "error", "cancelled"


@dataclass
class Step:
    """One advance of ``instance``'s ``workflow`` by ``actor`` (a username, or ``system``)."""

    session: Session
    ctx: EngineContext
    instance: Instance
    workflow: object
    actor: str
    # Ids of the application's task rows known to stay open after this step (None: look them up when finishing).
    others_open: set[str] | None = None
    # Ids of the tasks waiting for a worker outside when the step began (None: the diagram has no such elements).
    external_before: frozenset[str] | None = None
    # The note the person completing a task wrote (the officer's reason for a return or a rejection): the
    # applicant's message says it instead of pointing at the history.
    note: str = ""

    def ready_task(self, task_id: str, *, name: str):
        """The workflow's task behind the task row ``task_id``, still waiting for input; ``Conflict`` otherwise."""
        try:
            spiff_task = self.workflow.get_task_from_id(UUID(task_id))
        except Exception as exc:  # noqa: BLE001 - the projection points at a task the state no longer has
            raise Conflict(Text(N_("Task %(task)s is no longer part of the application."),
                                {"task": repr(name)})) from exc
        if spiff_task.state != runtime.TaskState.READY:
            raise Conflict(Text(N_("Task %(task)s is no longer waiting for input."), {"task": repr(name)}))
        # The projection mirrors the ready human tasks, so these are the application's other open rows.
        self.others_open = set(runtime.ready_human_ids(self.workflow)) - {task_id}
        return spiff_task

    def complete(self, spiff_task, data: dict) -> None:
        """Complete ``spiff_task`` with ``data`` and run to the next wait."""
        runtime.complete_task(self.ctx, self.workflow, spiff_task.id, data)

    def run(self, *, refresh_timers: bool = False) -> None:
        """Run to the next wait (letting due timers fire first, with ``refresh_timers``)."""
        runtime.run(self.ctx, self.workflow, refresh_timers=refresh_timers)

    def finish(self) -> list[Task]:
        """Save, reconcile the task table, settle the clocks, hand external tasks to workers, queue notifications,
        record a file's end.

        Returns the application's open tasks after the step.
        """
        workflow, instance = self.workflow, self.instance
        changes = {}
        completed = workflow.is_completed()
        if completed:
            changes = {"status": COMPLETED, "outcome": runtime.outcome(workflow), "ended_at": self.ctx.now()}
        # Messages and signals for other applications: their receivers are found before anything is saved, so a
        # message nobody waits for fails this step (last good state kept) instead of being lost.
        thrown = waiting.take_thrown(workflow)
        receivers = waiting.receivers_of(self.session, instance, thrown)
        with sql.batch(self.session):  # joins the caller's batch when there is one
            runtime.save(self.session, self.ctx, instance, workflow, **changes)
            still_open = projection.reconcile(self.session, self.ctx, instance, workflow, known_open=self.others_open)
            clocks.settle(self.session, self.ctx, instance, still_open)
            external_outbox.sync(self.session, self.ctx, instance, workflow,  # work for programs outside
                                 before=self.external_before)
            waiting.sync(self.session, self.ctx, instance, workflow)  # what it waits for from outside
            notifications.after_step(self.session, self.ctx, instance, still_open,
                                     workflow.last_task.data if workflow.last_task else {}, reason=self.note)
            bills.after_step(self.session, self.ctx, instance,  # the applicant hears of a bill and its payment
                             workflow.last_task.data if workflow.last_task else {})
            if completed:
                audit.record(self.session, "completed", actor=self.actor, at=self.ctx.now(), instance_id=instance.id,
                             outcome=instance.outcome)
        if completed:  # the permit letter, rendered and stored once (engine.documents.issued_letters)
            issued_letters.issue_on_completion(self.session, self.ctx, instance, workflow, actor=self.actor)
        for receiver in receivers:
            _deliver_inside(self.session, self.ctx, receiver, actor=self.actor)
        return still_open


@contextmanager
def advancing(session: Session, ctx: EngineContext, instance: Instance, *, actor: str, workflow=None,
              others_open: set[str] | None = None) -> Iterator[Step]:
    """A :class:`Step` on ``instance``: its stored workflow loaded (or ``workflow``, a new one being started).

    A ``ProcessError`` raised in the block flags the application (:func:`flag_error`) and goes on to the caller.
    """
    started, outcome = time.perf_counter(), "error"
    try:
        if workflow is None:
            workflow = runtime.load(ctx, instance, to_step=True)
            external_before = external_outbox.waiting_before(workflow)
        else:  # a new workflow: nothing of it waits for a worker yet, and it has no rows
            external_before = frozenset()
        try:
            yield Step(session, ctx, instance, workflow, actor, others_open, external_before=external_before)
            outcome = "done"
        except ProcessError as exc:
            flag_error(session, ctx, instance, exc, actor=actor)
            outcome = "flagged"
            raise
        except Conflict:
            outcome = "conflict"
            raise
    finally:
        STEP_SECONDS.labels(outcome).observe(time.perf_counter() - started)


def _deliver_inside(session: Session, ctx: EngineContext, receiver: waiting.Delivery, *, actor: str) -> None:
    """A message or signal another application threw reaches ``receiver``, as a step of that application in the same
    transaction; if that step fails, that application is flagged and the thrower's step stands."""
    instance = session.get(Instance, receiver.instance_id)
    with waiting.nested(), suppress(ProcessError), advancing(session, ctx, instance, actor=actor) as step:
        for target in waiting.find(step.workflow, receiver.kind, receiver.name, receiver.task_id):
            waiting.deliver(ctx, target, receiver.values)
            audit.record(session, f"{receiver.kind}_received", actor=actor, at=ctx.now(), instance_id=instance.id,
                         element_id=target.element_id, name=receiver.name, sender=receiver.sender, data=receiver.values)
            break
        step.run()
        step.finish()


def flag_error(session: Session, ctx: EngineContext, instance: Instance, error: ProcessError, *, actor: str,
               tell: bool = True) -> None:
    """Keep the last good state; mark the application so an administrator sees what failed where; tell its
    supervisors (``tell=False``: the caller sends them a notice that says more, e.g. the bank's refusal of a bill)."""
    instance.status = ERROR
    instance.error_element = error.element_id
    instance.error_message = error.message
    instance.updated_at = ctx.now()
    audit.record(session, "error", actor=actor, at=ctx.now(), instance_id=instance.id,
                 element_id=error.element_id, message=error.message)
    if tell:
        notifications.application_stopped(session, ctx, instance, error.element_id, error.message)
    session.flush()
