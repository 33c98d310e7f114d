"""Forgot password by SMS or WhatsApp: a six-digit code to the account's number, typed on the reset page with the
new password. Offered only where the office has an SMS or WhatsApp gateway (``engine.messaging.preferences``).

The applicant names their account by its phone number, its username or its NIK (a counter-made account's username
is the NIK; an account opened online may have the NIK on file). An account gets a code only when it is active and
has a number (the one saved on its notification settings); it goes by the channel the account prefers for notices
if that is a text channel here, else SMS, else WhatsApp.

A code is good for ``LIFETIME`` and once. Only a salted SHA-256 of it is stored (a copy of the database shows no
usable code). Six digits are guessable, so each code takes ``MAX_ATTEMPTS`` wrong tries — counted on every live
code of the accounts the name points to — and is then spent without use; a number receives at most
``MAX_PER_NUMBER`` codes within ``NUMBER_WINDOW`` (a phone is not flooded, a guesser gets few codes to aim at),
and the pages limit every address too (``api.rate_limits``). Whatever happened — unknown name, no number, throttled
— the caller answers the same, so the page tells nobody which numbers have accounts.

Setting the password ends like the e-mail link (``password_reset.set_new_password``): every open link and code is
spent, every session signed out, lock-outs cleared, audited with ``via`` = the channel.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.errors import RecordedRefusal
from engine.people import passwords, tokens
from engine.people.contact import EMAIL, SMS, WHATSAPP, phone_or_none
from engine.people.password_reset import set_new_password
from engine.people.single_use import RefusedSecret, spend
from engine.storage import audit
from engine.storage.models import PasswordResetCode, User
from engine.texts import N_, Text

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

DIGITS = 6
LIFETIME = timedelta(minutes=10)
MAX_ATTEMPTS = 5
MAX_PER_NUMBER = 3
NUMBER_WINDOW = timedelta(hours=1)
MAX_ACCOUNTS = 5  # accounts sharing one number that get a code at once


class InvalidResetCode(RefusedSecret, RecordedRefusal):
    """The code is wrong, expired, used, or tried too often; or the name has no account: one answer for all. The
    try it counted is committed with the refusal (``RecordedRefusal``): rolling it back would make tries free."""

    field = "code"
    advice = Text(N_("This code is wrong or no longer valid. Check the number or name and the code, or ask for a "
                     "new code."))


@dataclass(frozen=True)
class IssuedCode:
    code: str  # the secret: goes into the SMS only
    user: User
    phone: str
    channel: str


def text_channels(settings) -> tuple[str, ...]:
    """The channels a code can go by here, SMS first (empty: forgot password is by e-mail only)."""
    return tuple(channel for channel in (SMS, WHATSAPP) if getattr(settings, f"{channel}_gateway_url"))


def accounts_named(session: Session, name: str) -> list[User]:
    """The active accounts ``name`` points to: a username, else a NIK, else a phone number (every account holding
    it)."""
    typed = (name or "").strip()[:100]
    if not typed:
        return []
    query = select(User).where(User.active.is_(True)).order_by(User.id).limit(MAX_ACCOUNTS)
    by_username = list(session.scalars(query.where(func.lower(User.username) == typed.lower())))
    if by_username:
        return by_username
    nik = "".join(typed.split())
    if len(nik) == 16 and nik.isdigit():  # an account opened online keeps its NIK beside another username
        by_nik = list(session.scalars(query.where(User.nik == nik)))
        if by_nik:
            return by_nik
    number = phone_or_none(typed)
    return list(session.scalars(query.where(User.phone == number))) if number else []


def _hash(salt: str, code: str) -> str:
    return tokens.hash_token(f"{salt}:{code}")


def request(session: Session, ctx: EngineContext, name: str, *, address: str = "") -> list[IssuedCode]:
    """Codes for the accounts ``name`` points to that have a number (none when the office has no text channel, or
    the number had its ``MAX_PER_NUMBER`` lately). Audited per account, and once for a name that finds none."""
    channels = text_channels(ctx.settings)
    now = ctx.now()
    if not channels:
        return []
    users = [user for user in accounts_named(session, name) if user.phone]
    if not users:
        audit.record(session, "password_reset_requested", actor=None, at=now, found=False, via="phone",
                     address=address[:100])
        return []
    issued = []
    for user in users:
        recent = session.scalar(select(func.count(PasswordResetCode.id)).where(
            PasswordResetCode.phone == user.phone, PasswordResetCode.created_at > now - NUMBER_WINDOW)) or 0
        throttled = recent >= MAX_PER_NUMBER
        channel = user.notify_channel if user.notify_channel in channels else channels[0]
        audit.record(session, "password_reset_requested", actor=None, at=now, username=user.username, found=True,
                     throttled=throttled, via=channel, address=address[:100])
        if throttled:
            continue
        code = f"{secrets.randbelow(10 ** DIGITS):0{DIGITS}d}"
        salt = secrets.token_hex(16)
        session.add(PasswordResetCode(user_id=user.id, salt=salt, code_hash=_hash(salt, code), phone=user.phone,
                                      channel=channel, attempts=0, created_at=now, expires_at=now + LIFETIME))
        issued.append(IssuedCode(code, user, user.phone, channel))
    session.flush()
    return issued


def _live_codes(session: Session, ctx: EngineContext, users: list[User]) -> list[PasswordResetCode]:
    if not users:
        return []
    return list(session.scalars(select(PasswordResetCode).where(
        PasswordResetCode.user_id.in_([user.id for user in users]), PasswordResetCode.used_at.is_(None),
        PasswordResetCode.expires_at > ctx.now(), PasswordResetCode.attempts < MAX_ATTEMPTS)
        .order_by(PasswordResetCode.id)))


def reset(session: Session, ctx: EngineContext, name: str, code: str, password: str, *,
          address: str = "") -> User:
    """Set ``password`` for the account ``name`` points to whose live code is ``code``. A wrong code counts a try on
    every live code of those accounts (``InvalidResetCode``; at ``MAX_ATTEMPTS`` a code is spent); a weak password
    (``WeakPassword``) leaves the code usable for another try. The caller commits either way: a counted try must
    stay counted."""
    typed = "".join((code or "").split())[:20]
    users = accounts_named(session, name)
    live = _live_codes(session, ctx, users)
    match = next((row for row in live if typed.isdigit() and hmac.compare_digest(row.code_hash,
                                                                                 _hash(row.salt, typed))), None)
    now = ctx.now()
    if match is None:
        for row in live:
            row.attempts += 1
            if row.attempts >= MAX_ATTEMPTS:
                row.used_at = now
        audit.record(session, "password_reset_code_refused", actor=None, at=now, found=bool(live),
                     address=address[:100])
        session.flush()
        raise InvalidResetCode()
    user = next(user for user in users if user.id == match.user_id)
    passwords.check(password, username=user.username, names=(user.full_name, user.email))
    if not spend(session, PasswordResetCode, match.id, now):  # the same code was sent twice at once
        raise InvalidResetCode()
    return set_new_password(session, ctx, user, password, via=match.channel or EMAIL, address=address)
