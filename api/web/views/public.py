"""Public pages: the service catalogue with the six published components of each service, its BPMN diagram,
and the language switch. No sign-in needed."""

from __future__ import annotations

from flask import Response, abort, redirect, request

from engine.errors import NotFound
from engine.people.access import Actor
from engine.services import definitions

from ... import presenters
from .. import bilingual, i18n
from ..blueprint import bp
from ..labels import group_name
from ..pages import db, render
from ..security import current_actor, safe_next

PUBLIC_STATUSES = ("published", "retired")


def _public(definition) -> bool:
    return bool(((definition.meta or {}).get("process") or {}).get("public", True))


def _staff(actor: Actor | None) -> bool:
    return actor is not None and actor.is_staff


def steps_of(definition) -> list[dict]:
    """The human steps of a service in diagram order: the procedure as text (also the diagram's alternative)."""
    steps = []
    for step in ((definition.meta or {}).get("tasks") or {}).values():
        # who works the step: its candidate groups; a lane is only where the step is drawn
        groups = [g for g in step.get("candidate_groups") or [] if g != step.get("lane")]
        who = ", ".join(group_name(g) for g in groups) or bilingual.lane_label(definition, step.get("lane"))
        steps.append({"element_id": step.get("element_id"), "name": step.get("name"), "who": who,
                      "sla": step.get("sla"), "for_applicant": bool(step.get("for_applicant")),
                      "decisions": list(step.get("decisions") or [])})
    return steps


@bp.route("/")
@bp.route("/services")
def catalogue():
    actor = current_actor()
    services = [(d, presenters.service(d)) for d in definitions.published_services(db())
                if _public(d) or _staff(actor)]
    return render("web/catalogue.html", services=services)


@bp.route("/services/<key>")
def service(key: str):
    definition = definitions.latest_published(db(), key)
    if not _public(definition) and not _staff(current_actor()):
        raise NotFound(f"There is no published service {key!r}.")
    return render("web/service.html", definition=definition, service=presenters.service(definition),
                  steps=steps_of(definition))


@bp.route("/services/<key>/<int(max=2147483647):version>/diagram.bpmn")
def diagram(key: str, version: int):
    """The BPMN XML for the read-only viewer: public for published services, staff-only for drafts."""
    definition = definitions.get_version(db(), key, version)
    if not (definition.status in PUBLIC_STATUSES and _public(definition)) and not _staff(current_actor()):
        raise NotFound(f"Service {key!r} has no version {version}.")
    return Response(definition.bpmn, mimetype="application/xml",
                    headers={"Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff"})


@bp.route("/lang/<code>")
def language(code: str):
    if code not in i18n.LANGUAGES:
        abort(404)
    response = redirect(safe_next(request.args.get("next")))
    response.set_cookie(i18n.COOKIE, code, max_age=i18n.COOKIE_MAX_AGE, samesite="Lax", httponly=True)
    return response
