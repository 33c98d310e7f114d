"""Who is signed in to the web pages, and the CSRF token every form carries.

A web sign-in is a web session (``engine.people.tokens`` of kind ``WEB``) whose secret is kept in Flask's signed,
HTTP-only session cookie. The cookie is signed, not encrypted: anyone who reads it sees the secret, so the secret is
good for the pages only — the API refuses it as a bearer token. The pages and the API share accounts, the lock-out
after repeated wrong passwords, and revocation — signing out revokes the session, and a password reset or
deactivation (which revoke all of a user's tokens and sessions) signs the person out of the web pages too.

CSRF: a random token per browser session, stored in the session and sent back by every form (``_csrf``) or htmx
request (``X-CSRF-Token``); a POST without the right one is refused before its view runs.
"""

from __future__ import annotations

import hmac
import secrets
from functools import wraps
from urllib.parse import urlsplit

from flask import flash, g, redirect, request, url_for
from flask import session as cookie
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest

from engine.errors import Forbidden
from engine.people import tokens
from engine.people.access import Actor

from ..unit_of_work import engine_context, session

TOKEN_KEY = "token"
CSRF_KEY = "csrf"
CSRF_FIELD = "_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class CsrfFailed(BadRequest):
    description = "The form has expired or did not come from this site."


def current_actor() -> Actor | None:
    """The signed-in person, or None. A revoked or expired token quietly ends the web session."""
    if "web_actor" not in g:
        g.web_actor, g.web_token_id = None, None
        token = cookie.get(TOKEN_KEY)
        if token:
            try:
                g.web_actor, g.web_token_id = tokens.actor_for(session(), engine_context(), token,
                                                               kind=tokens.WEB)
            except tokens.Unauthenticated:
                cookie.pop(TOKEN_KEY, None)
    return g.web_actor


def start_session(token: str) -> None:
    """Sign in: a fresh session (no fixation) holding the web session's secret (``tokens.WEB``: an API token would
    be readable in the cookie and usable as a bearer token) and a new CSRF token."""
    cookie.clear()
    cookie[TOKEN_KEY] = token
    cookie[CSRF_KEY] = secrets.token_urlsafe(32)
    g.pop("web_actor", None)


def end_session() -> None:
    actor = current_actor()
    if actor is not None and g.get("web_token_id") is not None:
        tokens.revoke(session(), engine_context(), g.web_token_id)
    cookie.clear()
    g.web_actor = None


def csrf_token() -> str:
    token = cookie.get(CSRF_KEY)
    if not token:
        token = cookie[CSRF_KEY] = secrets.token_urlsafe(32)
    return token


def check_csrf() -> None:
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD) or ""
    expected = cookie.get(CSRF_KEY) or ""
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfFailed()


def safe_next(url: str | None, default: str = "/") -> str:
    """A local path to go back to; anything pointing at another site becomes ``default``."""
    if not url or not url.startswith("/") or url.startswith("//") or url.startswith("/\\"):
        return default
    parts = urlsplit(url)
    return url if not parts.scheme and not parts.netloc else default


def here() -> str:
    """The current page as a ``next`` target (for POSTs: the page the form was on)."""
    if request.method in SAFE_METHODS:
        path = request.full_path
        return path[:-1] if path.endswith("?") else path
    referrer = request.referrer or ""
    parts = urlsplit(referrer)
    if parts.netloc and parts.netloc != request.host:
        return "/"
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))


def signed_in(*roles: str):
    """Require a signed-in person (else: to the sign-in page and back) holding one of ``roles`` when given."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            actor = current_actor()
            if actor is None:
                flash(_("Sign in to continue."), "info")
                return redirect(url_for("web.signin", next=here()))
            if roles and not actor.has_role(*roles):
                raise Forbidden("This page is for another role.")
            return view(*args, **kwargs)

        return wrapper

    return decorator
