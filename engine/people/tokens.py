"""API bearer tokens, web sessions, and the sign-in lock-out per (account, address).

A token is 32 random bytes shown to the client once; the database keeps only its SHA-256, so a copy of the
database yields no usable token. Tokens expire and can be revoked one by one (sign out) or all at once (password
reset, deactivation).

Two kinds share the table and its revocation: ``API`` tokens, which programs send as ``Authorization: Bearer``, and
``WEB`` sessions, whose secret the pages keep in the browser's cookie. Each is accepted only as what it was issued
for, so whoever reads a cookie (it is signed, not encrypted) cannot call the API with it.

Repeated wrong passwords for the same username from the same address lock that pair out for a time that doubles
with every further failure (1 min, 2, 4 … capped at an hour). The check runs before the password is tested, so a
locked-out guesser learns nothing, and a success clears the counter. Keyed on the pair, one abusive address cannot
lock the account for everyone else; the web layer adds limits per address and per account (api/rate_limits.py).
The counter lives in the database, so every worker and host of an installation shares it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.errors import LincahError
from engine.people import users as user_service
from engine.people.access import Actor
from engine.storage import audit
from engine.storage.models import ApiToken, LoginFailure, User
from engine.storage.sql import Prepared

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

TOKEN_PREFIX = "lct_"
WEB_PREFIX = "lcw_"
API = "api"
WEB = "web"
TOKEN_LIFETIME = timedelta(days=30)
FREE_FAILURES = 5
FIRST_LOCKOUT = timedelta(minutes=1)
MAX_LOCKOUT = timedelta(hours=1)


class Unauthenticated(LincahError):
    """No valid credentials: a missing, wrong, expired or revoked token, or a wrong username/password."""

    code = "unauthorized"


class Throttled(LincahError):
    """Too many failed sign-ins; ``retry_after`` says in how many seconds to try again."""

    code = "too_many_attempts"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message, {"retry_after": retry_after})
        self.retry_after = retry_after


@dataclass
class IssuedToken:
    token: str  # the secret itself: returned to the client once, never stored
    row: ApiToken
    user: User


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(session: Session, ctx: EngineContext, user: User, *, label: str = "", kind: str = API,
          lifetime: timedelta = TOKEN_LIFETIME) -> IssuedToken:
    """A new secret for ``user``, good only as ``kind`` (``API`` bearer token or ``WEB`` session)."""
    if kind not in (API, WEB):
        raise ValueError(f"kind must be {API!r} or {WEB!r}, not {kind!r}")
    token = (TOKEN_PREFIX if kind == API else WEB_PREFIX) + secrets.token_urlsafe(32)
    now = ctx.now()
    row = ApiToken(token_hash=hash_token(token), user_id=user.id, label=label[:100], kind=kind, created_at=now,
                   expires_at=now + lifetime)
    session.add(row)
    session.flush()
    return IssuedToken(token, row, user)


# Prepared once, and reading plain columns rather than ORM objects: this runs on every API request.
_TOKEN_AND_USER = Prepared(select(ApiToken.id, ApiToken.revoked_at, ApiToken.expires_at, User.username, User.roles,
                                  User.groups, User.jurisdictions, User.full_name, User.active,
                                  User.institution_code)
                           .join(User, User.id == ApiToken.user_id)
                           .where(ApiToken.token_hash == bindparam("b_hash"), ApiToken.kind == bindparam("b_kind")))


def actor_for(session: Session, ctx: EngineContext, token: str | None, *, kind: str = API) -> tuple[Actor, int]:
    """The actor a token of ``kind`` stands for, and the token's id; ``Unauthenticated`` if it is unknown, of the
    other kind, expired, revoked or its account inactive."""
    read, values = token_read(token, kind)
    return actor_of(ctx, read.rows(session, values))


def token_read(token: str | None, kind: str = API) -> tuple[Prepared, dict]:
    """The read behind ``actor_for``, to send together with another (``sql.read_together``); its rows go to
    ``actor_of``. ``Unauthenticated`` when there is no token to look up."""
    if not token:
        raise Unauthenticated("Sign in first: send 'Authorization: Bearer <token>' (POST /api/v1/auth/token).")
    return _TOKEN_AND_USER, {"b_hash": hash_token(token), "b_kind": kind}


def actor_of(ctx: EngineContext, found: list[tuple]) -> tuple[Actor, int]:
    """``actor_for``'s answer from the rows of ``token_read``."""
    if not found:
        raise Unauthenticated("The token is not valid. Sign in again to get a new one.")
    token_id, revoked_at, expires_at, username, roles, groups, jurisdictions, full_name, active, institution = found[0]
    if revoked_at is not None or expires_at <= ctx.now() or not active:
        raise Unauthenticated("The token has expired or was revoked. Sign in again to get a new one.")
    actor = Actor.of(username, roles or (), groups or (), jurisdictions or (), full_name or "", institution)
    return actor, token_id


def revoke(session: Session, ctx: EngineContext, token_id: int) -> None:
    """Revoke one token (signing out)."""
    session.execute(update(ApiToken).where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
                    .values(revoked_at=ctx.now()).execution_options(synchronize_session=False))


def revoke_all(session: Session, ctx: EngineContext, user_id: int) -> int:
    """Revoke every live token and web session of a user (password reset, deactivation); return how many."""
    return session.execute(update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
                           .values(revoked_at=ctx.now()).execution_options(synchronize_session=False)).rowcount


def _key(username: str, address: str) -> str:
    return f"{username}|{address}"[:300]


def lockout(failures: int) -> timedelta | None:
    """How long the pair is locked after ``failures`` consecutive failures (None: not locked)."""
    if failures < FREE_FAILURES:
        return None
    return min(FIRST_LOCKOUT * (2 ** (failures - FREE_FAILURES)), MAX_LOCKOUT)


def _check_not_locked(session: Session, now: datetime, key: str) -> None:
    row = session.get(LoginFailure, key)
    if row is not None and row.locked_until is not None and row.locked_until > now:
        wait = max(1, int((row.locked_until - now).total_seconds() + 0.999))
        raise Throttled(f"Too many failed sign-ins. Wait {wait} seconds, then try again, or ask an administrator "
                        "to reset your password.", wait)


def _record_failure(session: Session, now: datetime, key: str, username: str, address: str) -> None:
    for _ in range(3):
        row = session.get(LoginFailure, key, with_for_update=True)
        if row is not None:
            row.failures += 1
            row.last_failed_at = now
            pause = lockout(row.failures)
            row.locked_until = now + pause if pause else None
            session.flush()
            return
        try:
            with session.begin_nested():
                session.add(LoginFailure(key=key, username=username[:100], address=address[:100], failures=1,
                                         last_failed_at=now, locked_until=None))
                session.flush()
            return
        except IntegrityError:
            continue  # a parallel failure created the row first: count on it


class LoginRejected(Unauthenticated):
    """Wrong username or password. The failure has been counted in the session: commit it before answering."""


def login(session: Session, ctx: EngineContext, username: str, password: str, *, address: str = "",
          label: str = "", kind: str = API) -> IssuedToken:
    """Check the credentials and issue a token of ``kind``.

    Raises ``Throttled`` while the (username, address) pair is locked out and ``LoginRejected`` for wrong
    credentials — after counting the failure in ``session``, which the caller must commit even though it answers
    with an error.
    """
    username = (username or "").strip().lower()
    key = _key(username, address or "-")
    now = ctx.now()
    _check_not_locked(session, now, key)
    user = user_service.authenticate(session, username, password)
    if user is None:
        _record_failure(session, now, key, username, address or "-")
        audit.record(session, "login_failed", actor=username[:100] or None, at=now, address=address)
        raise LoginRejected("Wrong username or password.")
    existing = session.get(LoginFailure, key)
    if existing is not None:
        session.delete(existing)
    return issue(session, ctx, user, label=label, kind=kind)
