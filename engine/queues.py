"""How many tasks wait in each queue of a person's inbox (*antrean*).

Every count is ``inbox.search`` itself with the queue's filter and a page of one row, so the numbers beside the
queues are by construction the totals of the lists they open — the same access rule, the same indexes — however
the inbox query evolves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from . import definitions, inbox
from .access import Actor


@dataclass
class QueueCounts:
    total: int = 0
    mine: int = 0  # claimed by (or assigned to) the person
    unassigned: int = 0
    at_risk: int = 0
    breached: int = 0
    by_service: dict[str, int] = field(default_factory=dict)  # services with open tasks only


def _count(session: Session, actor: Actor, **filters) -> int:
    return inbox.search(session, actor, inbox.InboxQuery(limit=1, **filters)).total


def counts(session: Session, actor: Actor) -> QueueCounts:
    """The open tasks the actor may work, counted per queue and per published service."""
    result = QueueCounts(total=_count(session, actor))
    if not result.total:
        return result
    result.mine = _count(session, actor, assignee="me")
    result.unassigned = _count(session, actor, assignee="none")
    result.at_risk = _count(session, actor, sla="at_risk")
    result.breached = _count(session, actor, sla="breached")
    for definition in definitions.published_services(session):
        found = _count(session, actor, service=definition.key)
        if found:
            result.by_service[definition.key] = found
    return result
