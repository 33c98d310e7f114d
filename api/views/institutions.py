"""Institutions (the campuses whose students apply): the public list a registration form offers, administration,
and a campus operator's list of their students' files. The rules live in ``engine.people.institutions`` and
``engine.reporting.campus_files``; the pages at /admin/institutions and /campus do the same."""

from __future__ import annotations

from engine.errors import InvalidInput
from engine.people import institutions
from engine.people.access import ADMIN, INSTITUTION, institution_group
from engine.reporting import campus_files, timeline

from .. import presenters
from ..auth import current_actor, login_required
from ..json_body import Blueprint
from ..schemas.auth import UserSchema
from ..schemas.institutions import (
    CampusFilePage,
    CampusFilesQuery,
    InstitutionCreate,
    InstitutionDetail,
    InstitutionList,
    OperatorCreate,
)
from ..unit_of_work import engine_context, session

blp = Blueprint("institutions", __name__, url_prefix="/api/v1", description="Campuses and their students' files.")


def _detail(code: str) -> dict:
    row = next(row for row in institutions.overview(session()) if row.institution.code == code)
    return {"code": row.institution.code, "name": row.institution.name, "address": row.institution.address,
            "email": row.institution.email, "operators": [user.username for user in row.operators],
            "students": row.students}


@blp.route("/institutions")
@blp.response(200, InstitutionList)
def list_institutions():
    """Every campus, by name: what a registration form offers (no sign-in needed, as on the registration page)."""
    return {"items": [{"code": row.code, "name": row.name} for row in institutions.listing(session())]}


@blp.route("/institutions", methods=["POST"])
@login_required(ADMIN)
@blp.arguments(InstitutionCreate)
@blp.response(201, InstitutionDetail)
def add_institution(body):
    return _detail(institutions.create(session(), engine_context(), current_actor(), **body).code)


@blp.route("/institutions/<string:code>")
@login_required(ADMIN)
@blp.response(200, InstitutionDetail)
def institution(code: str):
    institutions.require(session(), code, field="code")
    return _detail(code.strip().lower())


@blp.route("/institutions/<string:code>/operators", methods=["POST"])
@login_required(ADMIN)
@blp.arguments(OperatorCreate)
@blp.response(201, UserSchema)
def add_operator(body, code: str):
    return presenters.user(institutions.add_operator(session(), engine_context(), current_actor(), code=code, **body))


@blp.route("/campus/files")
@login_required(INSTITUTION)
@blp.arguments(CampusFilesQuery, location="query")
@blp.response(200, CampusFilePage)
def campus_file_list(query):
    """The signed-in operator's students' files, newest first, filtered by the status people read and searched by
    registration number or name; ``total`` counts every match."""
    if query["status"] and query["status"] not in timeline.STATUSES:
        raise InvalidInput(f"There is no status {query['status']!r}.",
                           {"status": f"Use one of: {', '.join(timeline.STATUSES)}."})
    actor = current_actor()
    listed = campus_files.page(session(), actor, status=query["status"], query=query["q"], offset=query["offset"],
                               limit=query["limit"])
    steps = campus_files.open_steps(session(), listed.files)
    with_letter = campus_files.lettered(session(), listed.files)
    ours = institution_group(actor.institution_operator) if actor.institution_operator else None
    items = [{**presenters.application_summary(row),
              "file_status": campus_files.status_of(row, steps.get(row.id, []), with_letter),
              "campus_steps": [t.id for t in steps.get(row.id, []) if ours in (t.candidate_groups or [])],
              "letter": row.id in with_letter} for row in listed.files]
    return {"items": items, "total": listed.total}
