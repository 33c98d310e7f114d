"""What a password-reset link (``password_reset``) and a reset code (``reset_codes``) have in common: each opens an
account once. Spending one is a conditional update, so the same secret sent twice at once (two tabs, a double
tap) sets the password once; setting a password spends every other one the account still has open; a secret that
does not work gets one answer whatever the reason, so the caller learns nothing about which accounts exist.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from engine.errors import InvalidInput
from engine.texts import Text


class RefusedSecret(InvalidInput):
    """The one answer for a link or code that does not work: ``advice`` is the message and the error of ``field``."""

    field: str
    advice: Text

    def __init__(self):
        super().__init__(self.advice, {self.field: self.advice})


def spend(session: Session, model, row_id: int, now: datetime) -> bool:
    """Mark the row ``row_id`` of ``model`` used at ``now``; false when another request spent it first."""
    return session.execute(update(model).where(model.id == row_id, model.used_at.is_(None))
                           .values(used_at=now).execution_options(synchronize_session=False)).rowcount == 1


def spend_every_open(session: Session, model, user_id: int, now: datetime) -> None:
    """Mark every unused row of ``model`` that belongs to the account ``user_id`` used at ``now``."""
    session.execute(update(model).where(model.user_id == user_id, model.used_at.is_(None))
                    .values(used_at=now).execution_options(synchronize_session=False))
