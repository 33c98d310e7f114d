"""Administration: user accounts (roles, candidate groups, offices, active, password) and the organisation
overview of roles, groups and offices. The rules (who may, self-demotion, token revocation) are
``engine.people.accounts``'; the forms are the product's form renderer over schemas built here."""

from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_babel import gettext as _

from engine.casework import staff
from engine.errors import Conflict, InvalidInput
from engine.people import accounts
from engine.people import groups as group_list
from engine.people.access import ADMIN, ALL_JURISDICTIONS, ROLES
from engine.people.users import MIN_PASSWORD

from .. import i18n, password_advice
from ..blueprint import bp
from ..labels import ROLE
from ..pages import FormPage, ctx, db, engine_step, render
from ..security import current_actor, signed_in

PAGE_SIZE = 50


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").replace(";", ",").split(",") if part.strip()]


def user_form(*, create: bool, held=()) -> FormPage:
    # Groups come from the managed list (Admin → Groups); a retired one the account still has stays on its form.
    groups = sorted(set(group_list.active_names(db())) | set(held))
    offices = sorted(set(staff.known_offices(db())) | {ctx().settings.default_jurisdiction})
    office_choices = [{"const": ALL_JURISDICTIONS, "title": _("All offices (*)")}] + [
        {"const": code, "title": code} for code in offices if code != ALL_JURISDICTIONS]
    properties: dict = {}
    if create:
        properties["username"] = {"type": "string", "title": _("Username"), "minLength": 2, "maxLength": 63}
        properties["password"] = {"type": "string", "title": _("Password"), "minLength": MIN_PASSWORD,
                                  "maxLength": 200}
    properties.update({
        "full_name": {"type": "string", "title": _("Full name"), "maxLength": 300},
        "email": {"type": "string", "format": "email", "title": _("E-mail"), "maxLength": 300},
        "roles": {"type": "array", "title": _("Roles"), "minItems": 1, "uniqueItems": True,
                  "items": {"type": "string", "oneOf": [{"const": r, "title": str(ROLE[r])} for r in ROLES]}},
        "groups": {"type": "array", "title": _("Candidate groups"), "uniqueItems": True,
                   "items": {"type": "string", "oneOf": [{"const": name, "title": name} for name in groups]}}
        if groups else {"type": "array", "title": _("Candidate groups"), "items": {"type": "string"}},
        "other_groups": {"type": "string", "title": _("Other groups"), "maxLength": 500},
        "jurisdictions": {"type": "array", "title": _("Offices (jurisdictions)"), "uniqueItems": True,
                          "items": {"type": "string", "oneOf": office_choices}},
        "other_offices": {"type": "string", "title": _("Other offices"), "maxLength": 500},
    })
    if not create:
        properties["active"] = {"type": "boolean", "title": _("Active (may sign in)")}
    required = ["username", "password", "roles"] if create else ["roles"]
    ui = {"password": {"ui:widget": "password", "ui:autocomplete": "new-password"},
          "groups": {"ui:help": _("The BPMN's candidate groups: which steps this person may work. The list is kept "
                                   "under Admin → Groups.")},
          "other_groups": {"ui:help": _("Separate several with commas.")},
          "other_offices": {"ui:help": _("Office codes such as sinjai or bone, separated with commas.")}}
    return FormPage({"type": "object", "properties": properties, "required": required}, ui)


def _values(data: dict) -> dict:
    return {"roles": data.get("roles") or [],
            "groups": list(dict.fromkeys((data.get("groups") or []) + _split(data.get("other_groups")))),
            "jurisdictions": list(dict.fromkeys((data.get("jurisdictions") or [])
                                                + _split(data.get("other_offices")))),
            "full_name": data.get("full_name") or "", "email": data.get("email") or ""}


def _problems(page: FormPage, error: InvalidInput) -> None:
    for name, message in (error.localized_details(i18n.lang()) or {}).items():
        target = {"jurisdictions": "other_offices"}.get(name, name)
        page.errors[target if target in page.schema["properties"] else "(form)"] = {
            "username": _("Use 2–63 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit."),
            "password": password_advice.for_error(error),
            "roles": _("You cannot remove your own administrator role; ask another administrator."),
            "jurisdictions": _("Use office codes such as sulsel, sinjai or bone ('*' for all)."),
            "active": _("You cannot deactivate your own account."),
        }.get(name, str(message))


@bp.route("/admin/users")
@signed_in(ADMIN)
def admin_users():
    role = request.args.get("role") if request.args.get("role") in ROLES else None
    q = (request.args.get("q") or "").strip()[:100] or None
    try:
        offset = max(0, int(request.args.get("offset", 0)))
    except ValueError:
        offset = 0
    users, total = accounts.search(db(), current_actor(), role=role, q=q, limit=PAGE_SIZE, offset=offset)
    g.staff_page = True
    return render("web/admin/users.html", users=users, total=total, role=role, q=q or "", offset=offset,
                  page_size=PAGE_SIZE, roles=ROLES)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@signed_in(ADMIN)
def admin_user_new():
    page = user_form(create=True)
    g.staff_page = True
    if request.method == "POST":
        page.read(request, store=None)
        if page.check():
            try:
                with engine_step():
                    user = accounts.create(db(), ctx(), current_actor(), username=page.data["username"],
                                           password=page.data["password"], **_values(page.data))
            except InvalidInput as exc:
                _problems(page, exc)
            except Conflict:
                page.errors["username"] = _("This username is taken. Choose another.")
            else:
                flash(_("Account %(user)s created.", user=user.username), "success")
                return redirect(url_for("web.admin_user", username=user.username))
        page.data.pop("password", None)
        return render("web/admin/user_form.html", 422, form=page.build(), user=None)
    page.data = {"roles": ["officer"], "jurisdictions": [ctx().settings.default_jurisdiction]}
    return render("web/admin/user_form.html", form=page.build(), user=None)


@bp.route("/admin/users/<username>", methods=["GET", "POST"])
@signed_in(ADMIN)
def admin_user(username: str):
    user = accounts.get(db(), current_actor(), username)
    page = user_form(create=False, held=user.groups or ())
    g.staff_page = True
    if request.method == "POST":
        page.read(request, store=None)
        if page.check():
            held = {task.id: f"{task.name} ({number})" for task, number in accounts.claimed_tasks(db(), user.username)}
            try:
                with engine_step():
                    accounts.update(db(), ctx(), current_actor(), user.username,
                                    active=bool(page.data.get("active")), **_values(page.data))
            except InvalidInput as exc:
                _problems(page, exc)
            else:
                flash(_("Account %(user)s saved.", user=user.username), "success")
                still = {task.id for task, _number in accounts.claimed_tasks(db(), user.username)}
                released = [name for task_id, name in held.items() if task_id not in still]
                if released:
                    flash(_("%(user)s can no longer work the tasks they had claimed; they are back in their "
                            "groups' queues: %(tasks)s.", user=user.username, tasks=", ".join(released)), "info")
                return redirect(url_for("web.admin_user", username=user.username))
        return render("web/admin/user_form.html", 422, form=page.build(), user=user,
                      password_form=_password_form())
    page.data = {"full_name": user.full_name, "email": user.email or "", "roles": list(user.roles or []),
                 "groups": list(user.groups or []), "jurisdictions": list(user.jurisdictions or []),
                 "active": user.active}
    return render("web/admin/user_form.html", form=page.build(), user=user, password_form=_password_form())


def _password_form():
    schema = {"type": "object", "required": ["password"], "properties": {
        "password": {"type": "string", "title": _("New password"), "minLength": MIN_PASSWORD, "maxLength": 200}}}
    return FormPage(schema, {"password": {"ui:widget": "password", "ui:autocomplete": "new-password",
                                          "ui:help": _("The person is signed out everywhere.")}}).build()


@bp.route("/admin/users/<username>/password", methods=["POST"])
@signed_in(ADMIN)
def admin_user_password(username: str):
    user = accounts.get(db(), current_actor(), username)
    password = request.form.get("password") or ""
    try:
        accounts.reset_password(db(), ctx(), current_actor(), user.username, password)
    except InvalidInput as exc:  # the password policy (engine.people.passwords): nothing was changed
        flash(password_advice.for_error(exc), "error")
        return redirect(url_for("web.admin_user", username=user.username))
    flash(_("The password of %(user)s has been reset; they are signed out everywhere.", user=user.username),
          "success")
    return redirect(url_for("web.admin_user", username=user.username))


@bp.route("/admin/organisation")
@signed_in(ADMIN)
def admin_organisation():
    g.staff_page = True
    return render("web/admin/organisation.html", organisation=staff.organisation(db(), current_actor()))
