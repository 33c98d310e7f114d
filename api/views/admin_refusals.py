"""``GET /api/v1/admin/integration-refusals``: the administrators' log of refusals from outside, over the API —
what the API clients page lists (``engine.integration.refusals.admin_log``), paged and filtered."""

from __future__ import annotations

from engine.integration import refusals
from engine.people.access import ADMIN
from engine.storage.models import Event

from ..auth import login_required
from ..json_body import Blueprint
from ..schemas.admin_refusals import RefusalPage, RefusalQuery
from ..unit_of_work import session

blp = Blueprint("admin_refusals", __name__, url_prefix="/api/v1/admin",
                description="Refusals from outside: messages and signals API clients sent that reached no "
                            "application or lost their race (administrators).")


@blp.route("/integration-refusals")
@login_required(ADMIN)
@blp.arguments(RefusalQuery, location="query")
@blp.response(200, RefusalPage)
def integration_refusals(query):
    """Newest first; ``total`` counts every refusal the filters match. Variables are listed by name only."""
    page = refusals.admin_log(session(), client=query.get("client"), kind=query.get("kind"),
                              since=query.get("since"), offset=query["offset"], limit=query["limit"])
    return {"items": [_item(event) for event in page.events], "total": page.total,
            "offset": query["offset"], "limit": query["limit"]}


def _item(event: Event) -> dict:
    data = event.data or {}
    return {"id": event.id, "kind": event.kind, "at": event.at, "client": data.get("client"),
            "name": data.get("name"), "event": data.get("event", "signal" if event.kind == refusals.SIGNAL_REFUSED
                                                            else "message"),
            "application_id": event.instance_id, "registration_no": data.get("registration_no"),
            "element_id": event.element_id, "business_key": data.get("business_key"),
            "correlation_keys": data.get("correlation_keys") or {}, "variables": data.get("variables") or [],
            "reason": data.get("reason"), "problems": data.get("problems") or {}}
