"""Administration of candidate groups: the managed list accounts are given groups from (``engine.people.groups``
holds the rules and the audit). Added with a name diagrams use and a title people read; retitled; retired."""

from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_babel import gettext as _

from engine.errors import Conflict, InvalidInput, NotFound
from engine.people import groups
from engine.people.access import ADMIN

from .. import i18n
from ..blueprint import bp
from ..pages import ctx, db, engine_step, render
from ..security import current_actor, signed_in


def _page(status: int = 200, *, problem: str | None = None, typed: dict | None = None):
    g.staff_page = True
    return render("web/admin/groups.html", status, groups=groups.listing(db()), problem=problem,
                  typed=typed or {})


@bp.route("/admin/groups", methods=["GET", "POST"])
@signed_in(ADMIN)
def admin_groups():
    if request.method == "GET":
        return _page()
    name, title = (request.form.get("name") or "").strip(), (request.form.get("title") or "").strip()
    try:
        with engine_step():
            groups.add(db(), ctx(), current_actor(), name, title)
    except (InvalidInput, Conflict) as exc:
        return _page(422, problem=exc.localized(i18n.lang()), typed={"name": name, "title": title})
    flash(_("Group %(name)s added.", name=name.lower()), "success")
    return redirect(url_for("web.admin_groups"))


@bp.route("/admin/groups/<name>", methods=["POST"])
@signed_in(ADMIN)
def admin_group_retitle(name: str):
    try:
        with engine_step():
            groups.retitle(db(), ctx(), current_actor(), name, request.form.get("title") or "")
    except (InvalidInput, NotFound) as exc:
        return _page(422 if isinstance(exc, InvalidInput) else 404, problem=exc.localized(i18n.lang()))
    flash(_("Group %(name)s renamed.", name=name), "success")
    return redirect(url_for("web.admin_groups"))


@bp.route("/admin/groups/<name>/retire", methods=["POST"])
@signed_in(ADMIN)
def admin_group_retire(name: str):
    try:
        with engine_step():
            groups.retire(db(), ctx(), current_actor(), name)
    except NotFound as exc:
        return _page(404, problem=exc.localized(i18n.lang()))
    flash(_("Group %(name)s retired: nobody new can be given it; accounts that have it keep it.", name=name),
          "success")
    return redirect(url_for("web.admin_groups"))
