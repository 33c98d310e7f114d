"""A campus operator's page (*operator kampus*): their students' files, the steps waiting for the campus (the
confirmation of a student, *surat pengantar*), the issued letters to download, and applying for a student.

What an operator may see and do is the engine's rule (``engine.people.access``): only files started under their
institution; the steps themselves are worked on the ordinary task page.
"""

from __future__ import annotations

from flask import request

from engine.people import institutions
from engine.people.access import INSTITUTION, institution_group
from engine.reporting import campus_files as campus_pages
from engine.reporting import timeline
from engine.services import definitions

from ..blueprint import bp
from ..pages import db, render, service_names
from ..security import current_actor, signed_in


@bp.route("/campus", endpoint="campus_files")
@signed_in(INSTITUTION)
def campus_files():
    actor = current_actor()
    institution = institutions.get(db(), actor.institution_operator)
    wanted = (request.args.get("status") or "").strip()
    if wanted not in timeline.STATUSES:
        wanted = ""
    query = (request.args.get("q") or "").strip()[:200]
    number = request.args.get("page", default=1, type=int) or 1
    number = max(1, min(number, 100_000))
    listed = campus_pages.page(db(), actor, status=wanted, query=query,
                               offset=(number - 1) * campus_pages.PAGE_SIZE)
    files = listed.files
    open_rows = campus_pages.open_steps(db(), files)
    with_letter = campus_pages.lettered(db(), files)
    ours = institution_group(actor.institution_operator) if actor.institution_operator else None
    items = []
    for instance in files:
        steps = open_rows.get(instance.id, [])
        items.append({"instance": instance, "status": campus_pages.status_of(instance, steps, with_letter),
                      "steps": steps, "ours": [t for t in steps if ours in (t.candidate_groups or [])],
                      "issued": instance.id in with_letter})
    services = [d for d in definitions.published_services(db()) if _asks_for_institution(d)]
    return render("web/campus/files.html", institution=institution, items=items, names=service_names(),
                  services=services, status=wanted, statuses=timeline.STATUSES, query=query, listed=listed,
                  page_number=number)


def _asks_for_institution(definition) -> bool:
    form = definitions.form_of(db(), definition, (definition.meta or {}).get("start_form"))
    return form is not None and institutions.FORM_FIELD in ((form.schema or {}).get("properties") or {})
