"""Forgot password (*lupa kata sandi*): a link by e-mail that sets a new password once.

``request`` looks up the accounts holding an e-mail address and issues each a reset token: 32 random bytes shown
only in the mail, the database keeping its SHA-256 (a copy of the database opens no account), good for
``LIFETIME`` and once. The caller answers the same whatever happened — an unknown address, an inactive account, a
throttled request — so the form tells nobody which addresses have accounts. At most ``MAX_OPEN`` links per account
stay usable within ``LIFETIME``; a further request issues none (a mailbox is not flooded, whoever asks).

``reset`` checks the token (unknown, used or expired: ``InvalidResetLink``), applies the password policy
(``engine.people.passwords``; ``WeakPassword`` keeps the link usable for another try), sets the password, spends
every open link of the account, revokes all its API tokens and web sessions (whoever held the old password is
signed out), clears its sign-in lock-outs, and records it in the audit log.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from engine.people import passwords, tokens
from engine.people.single_use import RefusedSecret, spend, spend_every_open
from engine.storage import audit
from engine.storage.models import LoginFailure, PasswordResetCode, PasswordResetToken, User
from engine.texts import N_, Text

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

PREFIX = "lcp_"
LIFETIME = timedelta(hours=1)
MAX_OPEN = 3
MAX_ACCOUNTS = 5  # accounts sharing one address that get a link at once


class InvalidResetLink(RefusedSecret):
    """The link is unknown, was used already, or has expired: ask for a new one."""

    field = "token"
    advice = Text(N_("This password link has expired or was used already. Ask for a new one on the forgot-password "
                     "page."))


@dataclass(frozen=True)
class IssuedLink:
    token: str  # the secret: goes into the mail only
    user: User


def request(session: Session, ctx: EngineContext, email: str, *, address: str = "") -> list[IssuedLink]:
    """Reset links for the active accounts with ``email`` (none when there are none, or too many are open already).
    Audited per account, and once per unknown address."""
    wanted = (email or "").strip().lower()
    now = ctx.now()
    if not wanted or "@" not in wanted or len(wanted) > 300:
        return []
    users = list(session.scalars(select(User).where(func.lower(User.email) == wanted, User.active.is_(True))
                                 .order_by(User.id).limit(MAX_ACCOUNTS)))
    if not users:
        audit.record(session, "password_reset_requested", actor=None, at=now, found=False, address=address[:100])
        return []
    issued = []
    for user in users:
        open_links = session.scalar(select(func.count(PasswordResetToken.id)).where(
            PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None),
            PasswordResetToken.expires_at > now)) or 0
        throttled = open_links >= MAX_OPEN
        audit.record(session, "password_reset_requested", actor=None, at=now, username=user.username, found=True,
                     throttled=throttled, address=address[:100])
        if throttled:
            continue
        token = PREFIX + secrets.token_urlsafe(32)
        session.add(PasswordResetToken(token_hash=tokens.hash_token(token), user_id=user.id, created_at=now,
                                       expires_at=now + LIFETIME))
        issued.append(IssuedLink(token, user))
    session.flush()
    return issued


def _live(session: Session, ctx: EngineContext, token: str) -> tuple[PasswordResetToken, User]:
    row = session.scalar(select(PasswordResetToken).where(PasswordResetToken.token_hash
                                                          == tokens.hash_token(token or "")))
    user = session.get(User, row.user_id) if row is not None else None
    if row is None or user is None or not user.active or row.used_at is not None or row.expires_at <= ctx.now():
        raise InvalidResetLink()
    return row, user


def check(session: Session, ctx: EngineContext, token: str) -> User:
    """The account a usable link is for (without spending it); ``InvalidResetLink`` otherwise."""
    return _live(session, ctx, token)[1]


def reset(session: Session, ctx: EngineContext, token: str, password: str, *, address: str = "") -> User:
    """Set ``password`` through the link ``token`` and spend it (see the module's docstring)."""
    row, user = _live(session, ctx, token)
    passwords.check(password, username=user.username, names=(user.full_name, user.email))
    now = ctx.now()
    if not spend(session, PasswordResetToken, row.id, now):  # two tabs sent the same link at once
        raise InvalidResetLink()
    return set_new_password(session, ctx, user, password, via="email", address=address)


def set_new_password(session: Session, ctx: EngineContext, user: User, password: str, *, via: str,
                     address: str = "") -> User:
    """The end of every way back into an account (a link, a code): set ``password`` (checked by the caller), spend
    every open link and code of the account, sign it out everywhere, clear its lock-outs, audit how it was done."""
    now = ctx.now()
    spend_every_open(session, PasswordResetToken, user.id, now)
    spend_every_open(session, PasswordResetCode, user.id, now)
    user.password_hash = generate_password_hash(password)
    revoked = tokens.revoke_all(session, ctx, user.id)
    session.execute(delete(LoginFailure).where(LoginFailure.username == user.username))
    audit.record(session, "password_reset", actor=user.username, at=now, username=user.username, via=via,
                 tokens_revoked=revoked, address=address[:100])
    session.flush()
    return user
