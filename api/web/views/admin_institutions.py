"""Administration of institutions (the campuses whose students apply): add and correct a campus, give it operator
accounts, and see how many students registered under it. ``engine.people.institutions`` holds the rules and the
audit; ``lincah institutions`` does the same from the command line."""

from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_babel import gettext as _

from engine.errors import Conflict, InvalidInput
from engine.people import institutions
from engine.people.access import ADMIN

from .. import i18n
from ..blueprint import bp
from ..pages import ctx, db, engine_step, render
from ..security import current_actor, signed_in

_FIELDS = ("code", "name", "address", "email")
_OPERATOR_FIELDS = ("institution", "username", "full_name", "email")


def _page(status: int = 200, *, problem: str | None = None, fields: dict | None = None, typed: dict | None = None,
          form: str = ""):
    g.staff_page = True
    return render("web/admin/institutions.html", status, rows=institutions.overview(db()), problem=problem,
                  fields=fields or {}, typed=typed or {}, form=form)


def _refused(exc: InvalidInput | Conflict, typed: dict, form: str):
    details = exc.localized_details(i18n.lang()) if isinstance(exc, InvalidInput) else None
    fields = {name: str(text) for name, text in details.items()} if isinstance(details, dict) else {}
    return _page(422 if isinstance(exc, InvalidInput) else 409, problem=exc.localized(i18n.lang()), fields=fields,
                 typed=typed, form=form)


@bp.route("/admin/institutions", methods=["GET", "POST"])
@signed_in(ADMIN)
def admin_institutions():
    if request.method == "GET":
        return _page()
    typed = {name: (request.form.get(name) or "").strip() for name in _FIELDS}
    try:
        with engine_step():
            added = institutions.create(db(), ctx(), current_actor(), **typed)
    except (InvalidInput, Conflict) as exc:
        return _refused(exc, typed, "add")
    flash(_("Institution %(name)s added. Give it an operator account below.", name=added.name), "success")
    return redirect(url_for("web.admin_institutions"))


@bp.route("/admin/institutions/<code>", methods=["POST"])
@signed_in(ADMIN)
def admin_institution_change(code: str):
    typed = {name: (request.form.get(name) or "").strip() for name in ("name", "address", "email")}
    try:
        with engine_step():
            changed = institutions.update(db(), ctx(), current_actor(), code, **typed)
    except InvalidInput as exc:
        return _refused(exc, {**typed, "code": code}, f"change-{code}")
    flash(_("Institution %(name)s saved.", name=changed.name), "success")
    return redirect(url_for("web.admin_institutions"))


@bp.route("/admin/institutions/operators", methods=["POST"])
@signed_in(ADMIN)
def admin_institution_operator():
    typed = {name: (request.form.get(name) or "").strip() for name in _OPERATOR_FIELDS}
    try:
        with engine_step():
            user = institutions.add_operator(db(), ctx(), current_actor(), code=typed["institution"],
                                             username=typed["username"], password=request.form.get("password") or "",
                                             full_name=typed["full_name"], email=typed["email"] or None)
    except (InvalidInput, Conflict) as exc:
        return _refused(exc, typed, "operator")
    flash(_("Operator account %(username)s added for %(code)s.", username=user.username, code=user.institution_code),
          "success")
    return redirect(url_for("web.admin_institutions"))
