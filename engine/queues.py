"""How many tasks wait in each queue of a person's inbox (*antrean*): one grouped SQL query over ``task``.

The counts use exactly the inbox's rule of who may work what (``inbox._may_work``), so the numbers beside the
queues always agree with the lists they open.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from .access import Actor
from .inbox import _may_work
from .models import Task

OPEN_STATES = ("ready", "claimed")


@dataclass
class QueueCounts:
    total: int = 0
    mine: int = 0  # claimed by (or assigned to) the person
    unassigned: int = 0
    at_risk: int = 0
    breached: int = 0
    by_service: dict[str, int] = field(default_factory=dict)


def counts(session: Session, actor: Actor) -> QueueCounts:
    """The open tasks the actor may work, counted per queue."""
    owner = case((Task.assignee == actor.username, "me"), (Task.assignee.is_(None), "none"), else_="other")
    rows = session.execute(
        select(Task.service_key, owner, Task.sla_state, func.count())
        .where(_may_work(actor), Task.state.in_(OPEN_STATES))
        .group_by(Task.service_key, owner, Task.sla_state))
    result = QueueCounts()
    for service, who, sla_state, count in rows:
        result.total += count
        result.by_service[service] = result.by_service.get(service, 0) + count
        if who == "me":
            result.mine += count
        elif who == "none":
            result.unassigned += count
        if sla_state == "at_risk":
            result.at_risk += count
        elif sla_state == "breached":
            result.breached += count
    return result
