"""User administration: list, create, change roles/groups/offices/active, reset passwords (admins)."""

from __future__ import annotations

from engine.people import accounts
from engine.people.access import ADMIN

from .. import presenters
from ..auth import current_actor, login_required
from ..json_body import Blueprint
from ..schemas.auth import UserSchema
from ..schemas.users import PasswordReset, UserCreate, UserListArgs, UserPage, UserUpdate
from ..unit_of_work import engine_context, session

blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="User accounts (administrators).")


@blp.route("")
@login_required(ADMIN)
@blp.arguments(UserListArgs, location="query", as_kwargs=True)
@blp.response(200, UserPage)
def list_users(**filters):
    rows, total = accounts.search(session(), current_actor(), **filters)
    return {"items": [presenters.user(u) for u in rows], "total": total}


@blp.route("", methods=["POST"])
@login_required(ADMIN)
@blp.arguments(UserCreate)
@blp.response(201, UserSchema)
def create(body):
    return presenters.user(accounts.create(session(), engine_context(), current_actor(), **body))


@blp.route("/<string:username>")
@login_required(ADMIN)
@blp.response(200, UserSchema)
def get(username: str):
    return presenters.user(accounts.get(session(), current_actor(), username))


@blp.route("/<string:username>", methods=["PATCH"])
@login_required(ADMIN)
@blp.arguments(UserUpdate)
@blp.response(200, UserSchema)
def update(body, username: str):
    """Change what is sent; deactivating signs the user out everywhere."""
    return presenters.user(accounts.update(session(), engine_context(), current_actor(), username, **body))


@blp.route("/<string:username>/password", methods=["POST"])
@login_required(ADMIN)
@blp.arguments(PasswordReset)
@blp.response(204)
def reset_password(body, username: str):
    """Set a new password; the user's tokens are revoked."""
    accounts.reset_password(session(), engine_context(), current_actor(), username, body["password"])
