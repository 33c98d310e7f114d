"""Who is calling: bearer tokens resolved to an ``Actor``, and the role gate each endpoint declares.

The gate only answers "is this kind of user allowed to call this endpoint at all"; whether they may touch *this*
application or task (jurisdiction, candidate group, ownership) is decided by the engine.
"""

from __future__ import annotations

from functools import wraps

from flask import g, request

from engine.errors import Forbidden
from engine.people import tokens
from engine.people.access import Actor

from .json_body import Blueprint
from .unit_of_work import engine_context, session

SECURITY = [{"bearerAuth": []}]


def bearer_token() -> str | None:
    return bearer_of(request.headers.get("Authorization", ""))


def bearer_of(header: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header; ``None`` for any other header."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def current_actor() -> Actor:
    """The signed-in actor; raises ``Unauthenticated`` when the request carries no valid token."""
    if "actor" not in g:
        g.actor, g.token_id = tokens.actor_for(session(), engine_context(), bearer_token())
    return g.actor


def current_token_id() -> int:
    current_actor()
    return g.token_id


def require_role(actor: Actor, roles: tuple[str, ...]) -> None:
    """``Forbidden`` unless ``actor`` has one of ``roles`` (none: anyone signed in; admins pass every gate)."""
    if roles and not actor.has_role(*roles):
        raise Forbidden(f"This needs one of the roles: {', '.join(roles)}. Ask an administrator if you should have "
                        "it.")


def login_required(*roles: str):
    """Require a valid token and, when ``roles`` are given, one of them (admins pass every role gate)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            require_role(current_actor(), roles)
            return view(*args, **kwargs)

        return Blueprint.doc(security=SECURITY)(wrapper)

    return decorator
