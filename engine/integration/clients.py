"""API clients: programs (external-task workers, systems sending messages), not people's accounts.

Each client has a name and a secret shown once; the database keeps only the secret's SHA-256 (the secret is 32
random bytes, so a plain hash is enough — a copy of the database yields nothing usable). A client is scoped to
topics it may fetch, messages it may correlate and offices (jurisdictions; none listed = every office). It signs in
with HTTP Basic (name + secret, as Camunda's client libraries do) or sends the secret as a bearer token.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engine.bpmn.connector import RESERVED_PREFIX
from engine.errors import Conflict, InvalidInput, NotFound
from engine.people.tokens import Unauthenticated
from engine.storage import audit
from engine.storage.models import ApiClient
from engine.storage.sql import Prepared

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

SECRET_PREFIX = "lcc_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
# Every call of a worker signs in. The secret is 32 random bytes, so its SHA-256 (about a microsecond) is all the
# check costs; what cost was the ORM loading a whole ``api_client`` row (about 1 ms of CPU, a tenth of a completion).
# The row is read again on every call rather than cached in the process: a rotation or revocation made through
# another gunicorn worker or host must stop the old secret at once, and only the database knows of it.
_BY_SECRET = Prepared(select(ApiClient.name, ApiClient.topics, ApiClient.messages, ApiClient.jurisdictions,
                             ApiClient.active).where(ApiClient.secret_hash == bindparam("b_hash")))


@dataclass(frozen=True)
class Caller:
    """An authenticated API client, as the services below need it."""

    name: str
    topics: frozenset[str]
    messages: frozenset[str]
    jurisdictions: frozenset[str]  # empty: every office

    @property
    def actor(self) -> str:
        """How the audit log names it."""
        return f"client:{self.name}"

    def covers(self, jurisdiction: str) -> bool:
        return not self.jurisdictions or jurisdiction in self.jurisdictions

    @classmethod
    def of(cls, row: ApiClient) -> Caller:
        return cls(row.name, frozenset(row.topics or ()), frozenset(row.messages or ()),
                   frozenset(row.jurisdictions or ()))


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _clean(values, what: str) -> list[str]:
    cleaned = sorted({str(v).strip() for v in values or () if str(v).strip()})
    for value in cleaned:
        if len(value) > 200:
            raise InvalidInput(f"A {what} is at most 200 characters: {value[:40]}….", {what: "Too long."})
    return cleaned


def add(session: Session, ctx: EngineContext, name: str, *, topics=(), messages=(), jurisdictions=(),
        actor: str) -> tuple[ApiClient, str]:
    """A new client and its secret (shown this once). ``InvalidInput`` for a bad name, ``Conflict`` if taken."""
    if not _NAME.match(name or ""):
        raise InvalidInput(f"{name!r} is not a client name: use letters, digits, '.', '_' or '-' (at most 100).",
                           {"name": "Letters, digits, '.', '_' or '-'."})
    reserved = [topic for topic in topics or () if str(topic).strip().startswith(RESERVED_PREFIX)]
    if reserved:
        raise InvalidInput(f"The topic {reserved[0]!r} is Lincah's own (its HTTP connector); no API client may "
                           "fetch it.", {"topics": "Reserved by Lincah."})
    if session.scalar(select(ApiClient.id).where(ApiClient.name == name)) is not None:
        raise Conflict(f"There is already an API client {name!r}; rotate its secret or choose another name.")
    secret = _new_secret()
    row = ApiClient(name=name, secret_hash=_hash(secret), topics=_clean(topics, "topic"),
                    messages=_clean(messages, "message"), jurisdictions=_clean(jurisdictions, "jurisdiction"),
                    active=True, created_by=actor, created_at=ctx.now())
    session.add(row)
    session.flush()
    audit.record(session, "api_client_added", actor=actor, at=ctx.now(), client=name, topics=row.topics,
                 messages=row.messages, jurisdictions=row.jurisdictions)
    return row, secret


def get(session: Session, name: str) -> ApiClient:
    row = session.scalar(select(ApiClient).where(ApiClient.name == name))
    if row is None:
        raise NotFound(f"There is no API client {name!r}.")
    return row


def all_clients(session: Session) -> list[ApiClient]:
    return list(session.scalars(select(ApiClient).order_by(ApiClient.name)))


def rotate(session: Session, ctx: EngineContext, name: str, *, actor: str) -> tuple[ApiClient, str]:
    """A new secret for ``name`` (the old one stops working at once); a revoked client becomes active again."""
    row = get(session, name)
    secret = _new_secret()
    row.secret_hash, row.rotated_at, row.active, row.revoked_at = _hash(secret), ctx.now(), True, None
    audit.record(session, "api_client_rotated", actor=actor, at=ctx.now(), client=name)
    return row, secret


def revoke(session: Session, ctx: EngineContext, name: str, *, actor: str) -> ApiClient:
    """The client can no longer call; its locked external tasks go back to the queue when their locks expire."""
    row = get(session, name)
    if row.active:
        row.active, row.revoked_at = False, ctx.now()
        audit.record(session, "api_client_revoked", actor=actor, at=ctx.now(), client=name)
    return row


def authenticate(session: Session, secret: str | None, name: str | None = None) -> Caller:
    """The active client whose secret is ``secret`` (and whose name is ``name``, for HTTP Basic).

    Raises ``Unauthenticated`` for anything else, with the same message whatever was wrong.
    """
    refused = Unauthenticated("Unknown API client or wrong secret. Send the client's name and secret with HTTP "
                              "Basic authentication, or the secret as a bearer token.")
    if not secret:
        raise refused
    rows = _BY_SECRET.rows(session, {"b_hash": _hash(secret)})
    if not rows:
        raise refused
    found, topics, messages, jurisdictions, active = rows[0]
    if not active or (name is not None and not hmac.compare_digest(found.encode(), name.encode())):
        raise refused
    return Caller(found, frozenset(topics or ()), frozenset(messages or ()), frozenset(jurisdictions or ()))
