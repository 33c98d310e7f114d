"""Staff profiles: what a letter prints under the signature — position (*jabatan*), rank (*pangkat/golongan*) and
NIP (*Nomor Induk Pegawai*, exactly 18 digits). A staff member without a profile signs with their name alone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import InvalidInput, NotFound
from engine.storage import audit
from engine.storage.models import StaffProfile, User

NIP_ADVICE = "NIP must be exactly 18 digits (no spaces or dots), e.g. 197001011995031001."


@dataclass(frozen=True)
class Signer:
    """A person as the signature block prints them."""

    username: str
    name: str
    position: str = ""
    rank: str = ""
    nip: str = ""


def check_nip(nip: str) -> str:
    """The NIP without surrounding blanks; ``InvalidInput`` naming the field unless it is 18 digits (an empty NIP is
    allowed: not every signer is a civil servant)."""
    nip = (nip or "").strip()
    if nip and not re.fullmatch(r"[0-9]{18}", nip):
        raise InvalidInput(f"{NIP_ADVICE} Got {len(nip)} character(s).", {"nip": NIP_ADVICE})
    return nip


def signer(session: Session, username: str) -> Signer:
    """The signature block of an account; ``NotFound`` when there is no such account."""
    row = session.execute(select(User, StaffProfile).outerjoin(StaffProfile, StaffProfile.user_id == User.id)
                          .where(User.username == username)).first()
    if row is None:
        raise NotFound(f"No account {username!r}.")
    user, profile = row
    if profile is None:
        return Signer(user.username, user.full_name or user.username)
    return Signer(user.username, user.full_name or user.username, profile.position, profile.rank, profile.nip)


def save(session: Session, username: str, *, actor: str | None, at: datetime, position: str | None = None,
         rank: str | None = None, nip: str | None = None) -> StaffProfile:
    """Create or change a staff member's profile; only the values given change."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"No account {username!r}; create it first (lincah users add).")
    nip = check_nip(nip) if nip is not None else None
    profile = session.get(StaffProfile, user.id)
    if profile is None:
        profile = StaffProfile(user_id=user.id, position="", rank="", nip="", updated_at=at)
        session.add(profile)
    for field, value in (("position", position), ("rank", rank), ("nip", nip)):
        if value is not None:
            setattr(profile, field, value.strip()[:300])
    profile.updated_at = at
    session.flush()
    audit.record(session, "staff_profile_saved", actor=actor, at=at, username=username)
    return profile
