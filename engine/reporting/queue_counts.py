"""How many tasks wait in each queue of a person's inbox (*antrean*).

The counts come from one grouped statement over the inbox's own branches and filters (``inbox.open_tally``), so
the numbers beside the queues are the totals of the lists they open — the same access rule, the same indexes —
without one query per queue (there were two per queue and per service: a page and its count).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from engine.casework import inbox
from engine.people.access import Actor
from engine.services import definitions


@dataclass
class QueueCounts:
    total: int = 0
    mine: int = 0  # claimed by (or assigned to) the person
    unassigned: int = 0
    at_risk: int = 0
    breached: int = 0
    by_service: dict[str, int] = field(default_factory=dict)  # services with open tasks only


def counts(session: Session, actor: Actor, now: datetime) -> QueueCounts:
    """The open tasks the actor may work at ``now`` (``ctx.now()``: at risk is read off the clock), counted per
    queue and per published service."""
    result = QueueCounts()
    tally = inbox.open_tally(session, actor, now)
    if not tally:
        return result
    per_service: dict[str, int] = {}
    for row in tally:
        result.total += row.count
        if row.assignee == actor.username:
            result.mine += row.count
        elif row.assignee is None:
            result.unassigned += row.count
        if row.sla_state == "at_risk":
            result.at_risk += row.count
        elif row.sla_state == "breached":
            result.breached += row.count
        per_service[row.service_key] = per_service.get(row.service_key, 0) + row.count
    for definition in definitions.published_services(session):  # in the catalogue's order
        if per_service.get(definition.key):
            result.by_service[definition.key] = per_service[definition.key]
    return result
