"""Sign in (get a token), sign out (revoke it), register as an applicant, who am I."""

from __future__ import annotations

from engine.people import accounts, institutions, tokens, users

from .. import presenters
from ..auth import current_actor, current_token_id, login_required
from ..json_body import Blueprint
from ..rate_limits import client_address, count_failed_signin
from ..schemas.auth import RegisterRequest, TokenRequest, TokenResponse, UserSchema
from ..unit_of_work import commit_now, engine_context, session

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Tokens and accounts.")


def _issued(issued: tokens.IssuedToken) -> dict:
    return {"token": issued.token, "expires_at": issued.row.expires_at, "user": presenters.user(issued.user)}


@blp.route("/token", methods=["POST"])
@blp.arguments(TokenRequest)
@blp.response(200, TokenResponse)
def token(body):
    """Exchange username and password for a bearer token. Repeated failures lock the account out for a while (from
    the caller's address), and sign-ins are limited per address and per account: 429 with ``Retry-After``."""
    try:
        issued = tokens.login(session(), engine_context(), body["username"], body["password"],
                              address=client_address(), label=body["label"])
    except tokens.LoginRejected:
        count_failed_signin()
        commit_now()  # the failure must count even though the answer is 401
        raise
    return _issued(issued)


@blp.route("/token", methods=["DELETE"])
@login_required()
@blp.response(204)
def revoke():
    """Sign out: the token used for this request stops working."""
    tokens.revoke(session(), engine_context(), current_token_id())


@blp.route("/register", methods=["POST"])
@blp.arguments(RegisterRequest)
@blp.response(201, TokenResponse)
def register(body):
    """Create an applicant account (and sign in). Staff accounts are made by an administrator. The password must
    pass the policy (length, not the username, not a common password); registrations are limited per address.
    A student may name their campus (``institution``, a code from ``GET /api/v1/institutions``)."""
    db, ctx = session(), engine_context()
    campus = body.pop("institution", None)
    if campus:
        user = institutions.register_student(db, ctx, code=campus, **body)
    else:
        user = accounts.register_applicant(db, ctx, **body)
    return _issued(tokens.issue(db, ctx, user, label="register"))


@blp.route("/me")
@login_required()
@blp.response(200, UserSchema)
def me():
    """The signed-in user."""
    return presenters.user(users.by_username(session(), current_actor().username))
