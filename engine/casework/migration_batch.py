"""Moving every running application of a version at once (``engine/casework/migration.py`` moves one): the dry run
over all of them, the run, and the counts per step an analyst sees before publishing or migrating.

The run takes the applications ``BATCH`` at a time, one transaction per batch: their rows locked and read in one
query, each move worked out in memory, and all of them written with one statement per table (a transaction and its
round trips cost more than moving one application). A crash half-way keeps the batches committed before it and
loses the rest whole, so a second run moves exactly the applications still on the old version. One application
cannot take others down with it: one that cannot move is refused before anything is written, and when the batch's
statements fail (a row the database refuses, an application changed meanwhile), the transaction is rolled back and
the batch done again in a new one with a SAVEPOINT per application, so the failing one is rolled back alone,
untouched, and reported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, lazyload

from engine.casework import migration
from engine.errors import Conflict
from engine.services import definitions
from engine.storage import locks
from engine.storage.db import transaction
from engine.storage.models import Instance, Task
from engine.texts import N_, Text

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext


@dataclass
class DryRun:
    verdicts: list[migration.Verdict]

    @property
    def movable(self) -> int:
        return sum(1 for verdict in self.verdicts if verdict.movable)

    def by_step(self) -> dict[str, dict[str, int]]:
        """Per element the application is at: how many can move and how many cannot."""
        counts: dict[str, Counter] = {}
        for verdict in self.verdicts:
            for step in verdict.steps or ["(none)"]:
                counts.setdefault(step, Counter())["movable" if verdict.movable else "blocked"] += 1
        return {step: {"movable": c["movable"], "blocked": c["blocked"]} for step, c in sorted(counts.items())}


@dataclass
class Report:
    moved: list[int] = field(default_factory=list)
    refused: dict[int, Text] = field(default_factory=dict)  # instance id → why it stayed, in any language
    busy: list[int] = field(default_factory=list)  # someone was working on it: left for the next run
    remaining: int = 0  # not looked at in this run (its limit): run again


def waiting_on(session: Session, service: str, version: int) -> list[int]:
    """Ids of the running applications of ``service`` still on ``version``, oldest first."""
    source = definitions.get_version(session, service, version)
    return list(session.scalars(select(Instance.id).where(Instance.definition_id == source.id,
                                                          Instance.status == "running").order_by(Instance.id)))


def dry_run(session: Session, ctx: EngineContext, plan: migration.Plan) -> DryRun:
    """What ``plan`` would do to each running application of its source version; nothing is changed."""
    migration.check_plan(session, ctx, plan)
    source, _ = plan.versions(session)
    # Without the version row each application would join (and decode) by default: the plan holds both versions.
    found = session.execute(select(Instance).options(lazyload(Instance.definition))
                            .where(Instance.definition_id == source.id, Instance.status == "running")
                            .order_by(Instance.id).execution_options(yield_per=500)).scalars()
    verdicts = [migration.judge(session, ctx, plan, instance) for instance in found]
    return DryRun(verdicts)


BATCH = 50  # applications per transaction: round trips shared by 50, a lock held for a fraction of a second


def run(factory, ctx: EngineContext, plan: migration.Plan, *, actor: str, note: str = "",
        progress: Callable[[int], None] = lambda done: None, limit: int | None = None, batch: int = BATCH) -> Report:
    """Move every application of the source version that can move (the first ``limit`` of them), ``batch`` per
    transaction; report the rest."""
    with transaction(factory) as session:
        migration.check_plan(session, ctx, plan)
        pending = waiting_on(session, plan.service, plan.source)
    report = Report(remaining=max(len(pending) - limit, 0) if limit is not None else 0)
    pending = pending[:limit] if limit is not None else pending
    for at in range(0, len(pending), batch):
        chunk = pending[at:at + batch]
        try:
            with transaction(factory) as session:
                moved, refused, busy = _move_batch(session, ctx, plan, chunk, actor=actor, note=note)
        except (Conflict, DBAPIError):
            # The batch's statements failed — a row the database refused, an application changed meanwhile — and
            # were rolled back: the batch again, one savepoint per application, so the failing one alone stays.
            with transaction(factory) as session:
                moved, refused, busy = _move_batch(session, ctx, plan, chunk, actor=actor, note=note,
                                                   one_by_one=True)
        report.moved.extend(moved)
        report.refused.update(refused)
        report.busy.extend(busy)
        progress(len(chunk))
    return report


def _move_batch(session: Session, ctx: EngineContext, plan: migration.Plan, ids: list[int], *, actor: str,
                note: str, one_by_one: bool = False) -> tuple[list[int], dict[int, Text], list[int]]:
    # Locked for this transaction, skipped when someone holds one (left for the next run); a step taken meanwhile
    # would fail the write's revision check anyway.
    found = {instance.id: instance for instance in session.scalars(locks.skip_locked(
        select(Instance).options(lazyload(Instance.definition)).where(Instance.id.in_(ids))))}
    rows = migration.open_rows(session, list(found))
    moves, refused = [], {}
    for instance_id in ids:
        instance = found.get(instance_id)
        if instance is None:
            continue
        try:
            moves.append(migration.prepare(session, ctx, plan, instance, rows.get(instance_id, []), actor=actor,
                                           note=note))
        except Conflict as why:
            refused[instance_id] = why.message
    if not one_by_one:  # all at once (no savepoint: two round trips saved; a failure rolls the batch back)
        migration.write(session, ctx, moves)
        return [move.instance.id for move in moves], refused, [i for i in ids if i not in found]
    moved = []
    for move in moves:
        try:
            with session.begin_nested():
                session.connection()  # the SAVEPOINT is sent before the writes that bypass the ORM
                migration.write(session, ctx, [move])
            moved.append(move.instance.id)
        except (Conflict, DBAPIError) as failed:
            refused[move.instance.id] = _why(move.instance, failed)
    return moved, refused, [i for i in ids if i not in found]


def _why(instance: Instance, failed: Exception) -> Text:
    if isinstance(failed, Conflict):
        return failed.message
    detail = str(getattr(failed, "orig", None) or failed).strip().splitlines()[0]
    return Text(N_("Application %(number)s could not be saved on the new version (%(detail)s); it stays where it "
                   "was."), {"number": instance.registration_no, "detail": detail})


def open_steps(session: Session, service: str, version: int) -> dict[str, int]:
    """How many open tasks each element of ``version`` has (the applications an analyst's change would touch)."""
    definition = definitions.get_version(session, service, version)
    rows = session.execute(select(Task.element_id, func.count()).join(Instance, Instance.id == Task.instance_id)
                           .where(Instance.definition_id == definition.id, Instance.status == "running",
                                  Task.state.in_(("ready", "claimed"))).group_by(Task.element_id))
    return {element: count for element, count in sorted(rows)}
