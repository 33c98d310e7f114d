"""Moving every running application of a version at once (``engine/casework/migration.py`` moves one): the dry run
over all of them, the run — each application in its own transaction, so a crash half-way keeps what was moved and a
second run moves only the rest — and the counts per step an analyst sees before publishing or migrating."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session, lazyload

from engine.casework import migration
from engine.errors import Conflict
from engine.services import definitions
from engine.storage import locks
from engine.storage.db import transaction
from engine.storage.models import Instance, Task

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
    refused: dict[int, str] = field(default_factory=dict)  # instance id → why it stayed
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
    found = session.execute(select(Instance).where(Instance.definition_id == source.id, Instance.status == "running")
                            .order_by(Instance.id).execution_options(yield_per=500)).scalars()
    verdicts = [migration.judge(session, ctx, plan, instance) for instance in found]
    return DryRun(verdicts)


def run(factory, ctx: EngineContext, plan: migration.Plan, *, actor: str, note: str = "",
        progress: Callable[[int], None] = lambda done: None, limit: int | None = None) -> Report:
    """Move every application of the source version that can move (the first ``limit`` of them), one transaction
    each; report the rest."""
    with transaction(factory) as session:
        migration.check_plan(session, ctx, plan)
        pending = waiting_on(session, plan.service, plan.source)
    report = Report(remaining=max(len(pending) - limit, 0) if limit is not None else 0)
    pending = pending[:limit] if limit is not None else pending
    for instance_id in pending:
        try:
            with transaction(factory) as session:
                # Locked for this transaction, skipped when someone holds it; a step taken meanwhile would fail
                # the move's revision check anyway.
                instance = session.scalars(locks.skip_locked(
                    select(Instance).options(lazyload(Instance.definition)).where(Instance.id == instance_id))).first()
                if instance is None:
                    report.busy.append(instance_id)
                    continue
                migration.move(session, ctx, plan, instance, actor=actor, note=note)
            report.moved.append(instance_id)
        except Conflict as refused:
            report.refused[instance_id] = refused.message
        progress(1)
    return report


def open_steps(session: Session, service: str, version: int) -> dict[str, int]:
    """How many open tasks each element of ``version`` has (the applications an analyst's change would touch)."""
    definition = definitions.get_version(session, service, version)
    rows = session.execute(select(Task.element_id, func.count()).join(Instance, Instance.id == Task.instance_id)
                           .where(Instance.definition_id == definition.id, Instance.status == "running",
                                  Task.state.in_(("ready", "claimed"))).group_by(Task.element_id))
    return {element: count for element, count in sorted(rows)}
