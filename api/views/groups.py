"""The managed list of candidate groups: list, add, rename (the title), retire (administrators). Accounts are given
groups only from it (``engine.people.groups``)."""

from __future__ import annotations

from engine.people import groups
from engine.people.access import ADMIN

from ..auth import current_actor, login_required
from ..json_body import Blueprint
from ..schemas.groups import GroupCreate, GroupList, GroupRename, GroupSchema
from ..unit_of_work import engine_context, session

blp = Blueprint("groups", __name__, url_prefix="/api/v1/groups", description="Candidate groups (administrators).")


def _row(name: str) -> dict:
    return next(vars(row) for row in groups.listing(session()) if row.name == name)


@blp.route("")
@login_required(ADMIN)
@blp.response(200, GroupList)
def list_groups():
    return {"items": [vars(row) for row in groups.listing(session())]}


@blp.route("", methods=["POST"])
@login_required(ADMIN)
@blp.arguments(GroupCreate)
@blp.response(201, GroupSchema)
def add(body):
    group = groups.add(session(), engine_context(), current_actor(), body["name"], body["title"])
    return _row(group.name)


@blp.route("/<string:name>", methods=["PATCH"])
@login_required(ADMIN)
@blp.arguments(GroupRename)
@blp.response(200, GroupSchema)
def rename(body, name: str):
    """Change the title; the name diagrams use stays."""
    return _row(groups.retitle(session(), engine_context(), current_actor(), name, body["title"]).name)


@blp.route("/<string:name>/retire", methods=["POST"])
@login_required(ADMIN)
@blp.response(200, GroupSchema)
def retire(name: str):
    """Nobody new can be given the group; accounts that have it keep it."""
    return _row(groups.retire(session(), engine_context(), current_actor(), name).name)
