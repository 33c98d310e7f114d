"""The lookup behind a message sent by business key: the waiting row and its application in one prepared statement.

``engine.casework.waiting.candidates`` answers every correlation; a message naming its application by registration
number — what payment gateways and registries send — is the common case, and there the ORM's work (building the
query, loading the waiting row, then loading the application and its definition one by one for the step) cost
several times the indexed lookup itself. This statement is the same lookup (``ix_waiting_event_lookup``, running
applications only, the client's offices, oldest first), compiled once, and hands the application over attached to
the session, so the step that delivers the message asks nothing more about it.
"""

from __future__ import annotations

import functools
from collections import namedtuple

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from engine.integration.external_rows import APPLICATION_COLUMNS, attach_application, with_application
from engine.storage.models import Instance
from engine.storage.sql import Prepared
from engine.storage.waiting_events import WaitingEvent

_WAITING = WaitingEvent.__table__
WaitingRow = namedtuple("WaitingRow", [column.key for column in _WAITING.columns])


@functools.lru_cache(maxsize=32)
def _by_business_key(jurisdictions: int) -> Prepared:
    conditions = [_WAITING.c.kind == bindparam("b_kind"), _WAITING.c.name == bindparam("b_name"),
                  _WAITING.c.business_key == bindparam("b_business_key"), Instance.__table__.c.status == "running"]
    if jurisdictions:
        conditions.append(or_(*(_WAITING.c.jurisdiction == bindparam(f"b_j{n}") for n in range(jurisdictions))))
    return Prepared(select(*_WAITING.columns, *APPLICATION_COLUMNS).select_from(with_application(_WAITING))
                    .where(*conditions).order_by(_WAITING.c.id))


def waiting_by_business_key(session: Session, kind: str, name: str, business_key: str,
                            jurisdictions: frozenset[str]) -> list[tuple[WaitingRow, Instance]]:
    """The running application ``business_key`` names, once per element of it waiting for ``name`` (in the offices
    ``jurisdictions``; empty: every office), each with the application attached to ``session``."""
    offices = sorted(jurisdictions)
    values = {"b_kind": kind, "b_name": name, "b_business_key": business_key,
              **{f"b_j{n}": office for n, office in enumerate(offices)}}
    width = len(_WAITING.columns)
    return [(WaitingRow(*row[:width]), attach_application(session, row[width:]))
            for row in _by_business_key(len(offices)).rows(session, values)]
