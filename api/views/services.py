"""The public catalogue: what can be applied for, with its requirements and start form. No sign-in needed."""

from __future__ import annotations

from engine.services import definitions

from .. import presenters
from ..json_body import Blueprint
from ..schemas.services import ServiceDetailSchema, ServiceSchema
from ..unit_of_work import session

blp = Blueprint("services", __name__, url_prefix="/api/v1/services",
                description="Published permit services (no sign-in needed).")


@blp.route("")
@blp.response(200, ServiceSchema(many=True))
def list_services():
    """Published services, latest version of each."""
    return [presenters.service(d) for d in definitions.published_services(session())
            if (d.meta or {}).get("process", {}).get("public", True)]


@blp.route("/<string:key>")
@blp.response(200, ServiceDetailSchema)
def get_service(key: str):
    """One published service with its start form (JSON Schema and UI schema)."""
    db = session()
    definition = definitions.latest_published(db, key)
    body = presenters.service(definition)
    body["start_form"] = presenters.form(definitions.form_of(db, definition, definition.meta.get("start_form")))
    return body
