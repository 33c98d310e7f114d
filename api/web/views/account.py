"""Sign in, register (applicants), sign out — with the API's accounts and lock-out; the browser keeps a web session,
never an API token (``web.security``). Sign-in and registration are rate limited (``api.rate_limits``).

The forms are drawn by the product's form renderer from small schemas built here, in the chosen language.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from engine.errors import Conflict, InvalidInput
from engine.people import accounts, institutions, tokens, users
from engine.people.access import ADMIN, ANALYST, APPLICANT, MANAGER, OFFICER, SUPERVISOR, Actor
from engine.people.users import MIN_PASSWORD

from ...rate_limits import client_address, count_failed_signin
from .. import password_advice
from ..blueprint import bp
from ..pages import FormPage, ctx, db, render
from ..security import current_actor, end_session, safe_next, start_session


def signin_form() -> FormPage:
    schema = {"type": "object", "required": ["username", "password"], "properties": {
        "username": {"type": "string", "title": _("Username"), "maxLength": 100},
        "password": {"type": "string", "title": _("Password"), "maxLength": 200}}}
    ui = {"username": {"ui:autocomplete": "username"}, "password": {"ui:widget": "password"}}
    return FormPage(schema, ui)


def register_form() -> FormPage:
    schema = {"type": "object", "required": ["full_name", "username", "password"], "properties": {
        **_campus_field(),
        "full_name": {"type": "string", "title": _("Full name"), "minLength": 3, "maxLength": 300},
        "email": {"type": "string", "format": "email", "title": _("E-mail"), "maxLength": 300},
        "nik": {"type": "string", "title": _("NIK (optional)"), "pattern": "^[0-9]{16}$", "maxLength": 16},
        "username": {"type": "string", "title": _("Username"), "minLength": 2, "maxLength": 63},
        "password": {"type": "string", "title": _("Password"), "minLength": MIN_PASSWORD, "maxLength": 200}}}
    ui = {"full_name": {"ui:autocomplete": "name", "ui:help": _("As on your identity card (KTP).")},
          "email": {"ui:help": _("Notifications and your permit are sent here.")},
          "nik": {"ui:help": _("The 16 digits on your KTP: the office counter finds your account by it.")},
          "username": {"ui:autocomplete": "username",
                       "ui:help": _("Lower-case letters, digits, '.', '_' or '-'; you sign in with it.")},
          "password": {"ui:widget": "password", "ui:autocomplete": "new-password",
                       "ui:help": password_advice.hint()},
          institutions.FORM_FIELD: {"ui:help": _("Students: your campus confirms your research permit application "
                                                 "and can follow it.")},
          "ui:order": ["*", institutions.FORM_FIELD]}
    return FormPage(schema, ui)


def _campus_field() -> dict:
    """The campus a student registers under, from the institutions on record (none: the field is not asked)."""
    listed = institutions.listing(db())
    if not listed:
        return {}
    return {institutions.FORM_FIELD: {"type": "string", "title": _("Campus (students)"),
                                      "oneOf": [{"const": i.code, "title": i.name} for i in listed]}}


# Where each role's work starts, in order of precedence for people holding several roles.
_HOMES = ((ADMIN, "web.admin_users"), (OFFICER, "web.inbox"), (SUPERVISOR, "web.inbox"),
          (MANAGER, "web.manager_dashboard"), (ANALYST, "web.analyst_services"),
          (APPLICANT, "web.my_applications"))


def home_of(actor: Actor) -> str:
    """The page a person lands on after signing in: their own work, not the public catalogue."""
    for role, endpoint in _HOMES:
        if role in actor.roles:
            return url_for(endpoint)
    return url_for("web.catalogue")


@bp.route("/signin", methods=["GET", "POST"])
def signin():
    next_url = safe_next(request.values.get("next"), "")
    page = signin_form()
    if request.method == "GET":
        actor = current_actor()
        if actor is not None:
            return redirect(next_url or home_of(actor))
        return render("web/signin.html", form=page.build(), next_url=next_url)
    page.read(request, store=None)
    if page.check():
        try:
            issued = tokens.login(db(), ctx(), page.data["username"], page.data["password"],
                                  address=client_address(), label="web", kind=tokens.WEB)
        except tokens.Throttled as exc:
            page.errors["(form)"] = _("Too many failed sign-ins. Wait %(seconds)d seconds, then try again.",
                                      seconds=exc.retry_after)
        except tokens.LoginRejected:
            # the failure is counted: this view returns normally, so the request's transaction commits it
            count_failed_signin()
            page.errors["(form)"] = _("Wrong username or password.")
        else:
            start_session(issued.token)  # a web session: the API refuses it as a bearer token
            flash(_("Welcome, %(name)s.", name=issued.user.full_name or issued.user.username), "success")
            return redirect(next_url or home_of(users.actor_of(issued.user)))
    page.data.pop("password", None)
    return render("web/signin.html", 422, form=page.build(), next_url=next_url)


_ACCOUNT_PROBLEMS = {
    "username": lambda: _("Use 2–63 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit."),
    "email": lambda: _("Enter an e-mail address such as nama@contoh.com."),
    "nik": lambda: _("The NIK is the 16 digits on the KTP, without spaces."),
}


@bp.route("/register", methods=["GET", "POST"])
def register():
    next_url = safe_next(request.values.get("next"), "")
    page = register_form()
    if request.method == "GET":
        return render("web/register.html", form=page.build(), next_url=next_url)
    page.read(request, store=None)
    page.check()
    # the account's own rule, said with the form's other mistakes rather than in a second round
    if page.data.get("username") and "username" not in page.errors and not users.valid_username(page.data["username"]):
        page.errors["username"] = _ACCOUNT_PROBLEMS["username"]()
    if not page.errors:
        try:
            if page.data.get(institutions.FORM_FIELD):
                user = institutions.register_student(db(), ctx(), code=page.data[institutions.FORM_FIELD],
                                                     username=page.data["username"], password=page.data["password"],
                                                     full_name=page.data["full_name"], email=page.data.get("email"),
                                                     nik=page.data.get("nik"))
            else:
                user = accounts.register_applicant(db(), ctx(), username=page.data["username"],
                                                   password=page.data["password"], full_name=page.data["full_name"],
                                                   email=page.data.get("email"), nik=page.data.get("nik"))
        except InvalidInput as exc:
            for name in (exc.details or {}):
                if name == "password":
                    page.errors[name] = password_advice.for_error(exc)
                else:
                    page.errors[name] = _ACCOUNT_PROBLEMS.get(name, lambda: _("This value is not valid."))()
        except Conflict as exc:
            if isinstance(exc.details, dict) and "nik" in exc.details:
                page.errors["nik"] = _("An account with this NIK exists already: sign in with it, or use "
                                       "\"Forgot password\".")
            else:
                page.errors["username"] = _("This username is taken. Choose another.")
        else:
            start_session(tokens.issue(db(), ctx(), user, label="web", kind=tokens.WEB).token)
            flash(_("Your account is ready, %(name)s.", name=user.full_name), "success")
            return redirect(next_url or url_for("web.catalogue"))
    page.data.pop("password", None)
    return render("web/register.html", 422, form=page.build(), next_url=next_url)


@bp.route("/signout", methods=["POST"])
def signout():
    end_session()
    flash(_("You have signed out."), "info")
    return redirect(url_for("web.catalogue"))
