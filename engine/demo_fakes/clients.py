"""The demo's API clients: the NIK worker (topic ``nik-check``) and the bank's callback (message
``payment_received``), as an administrator would add them with ``lincah clients add``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.integration import clients
from engine.storage.models import ApiClient

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

WORKER, BANK = "dukcapil-demo", "bank-demo"
SCOPES = {WORKER: {"topics": ("nik-check",)}, BANK: {"messages": ("payment_received",)}}


def ensure(session: Session, ctx: EngineContext, *, actor: str = "demo") -> list[str]:
    """Add the demo's clients that do not exist yet; their names. Their secrets are not kept: see :func:`issue`."""
    created = []
    for name, scope in SCOPES.items():
        if session.scalar(select(ApiClient.id).where(ApiClient.name == name)) is None:
            clients.add(session, ctx, name, actor=actor, **scope)
            created.append(name)
    return created


def issue(session: Session, ctx: EngineContext, *, actor: str = "demo") -> dict[str, str]:
    """Fresh secrets for the demo's clients (added first if missing): name -> secret. The old ones stop working."""
    ensure(session, ctx, actor=actor)
    return {name: clients.rotate(session, ctx, name, actor=actor)[1] for name in SCOPES}
