"""Forgot password: ask for a link by e-mail, then set a new password through it (``engine.people.password_reset``).

The request page answers the same whether or not the address has an account, and mails on a thread of its own
(``engine.messaging.account_mail``), so neither the words nor the time tell. Both pages are rate limited per
address (``api.rate_limits``); the engine also caps the open links per account.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.errors import InvalidInput
from engine.messaging import account_mail
from engine.messaging.mail import MailSettings
from engine.people import password_reset

from ...rate_limits import client_address
from .. import password_advice
from ..blueprint import bp
from ..pages import FormPage, ctx, db, render


def request_form() -> FormPage:
    schema = {"type": "object", "required": ["email"], "properties": {
        "email": {"type": "string", "format": "email", "title": _("E-mail"), "maxLength": 300}}}
    ui = {"email": {"ui:autocomplete": "email",
                    "ui:help": _("The address of your account. We send a link to set a new password.")}}
    return FormPage(schema, ui)


def new_password_form() -> FormPage:
    schema = {"type": "object", "required": ["password"], "properties": {
        "password": {"type": "string", "title": _("New password"), "maxLength": 200}}}
    ui = {"password": {"ui:widget": "password", "ui:autocomplete": "new-password", "ui:help": password_advice.hint()}}
    return FormPage(schema, ui)


def _reset_url(token: str) -> str:
    public = ctx().settings.public_url
    path = url_for("web.reset_password", token=token)
    return f"{public}{path}" if public else url_for("web.reset_password", token=token, _external=True)


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    page = request_form()
    if request.method == "GET":
        return render("web/forgot_password.html", form=page.build(), sent=False)
    page.read(request, store=None)
    if not page.check():
        return render("web/forgot_password.html", 422, form=page.build(), sent=False)
    links = password_reset.request(db(), ctx(), page.data["email"], address=client_address())
    account_mail.send_reset_links(MailSettings.from_settings(ctx().settings),
                                  [(link, _reset_url(link.token)) for link in links])
    return render("web/forgot_password.html", form=request_form().build(), sent=True)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    page = new_password_form()
    try:
        user = password_reset.check(db(), ctx(), token[:200])
    except password_reset.InvalidResetLink:
        return render_template("web/reset_password.html", form=None, username=None), 410
    if request.method == "GET":
        return render("web/reset_password.html", form=page.build(), username=user.username)
    page.read(request, store=None)
    if page.check():
        try:
            password_reset.reset(db(), ctx(), token[:200], page.data["password"], address=client_address())
        except password_reset.InvalidResetLink:
            return render_template("web/reset_password.html", form=None, username=None), 410
        except InvalidInput as exc:
            page.errors["password"] = password_advice.for_error(exc)
        else:
            flash(_("Your password has been changed and every session signed out. Sign in with the new password."),
                  "success")
            return redirect(url_for("web.signin"))
    page.data.pop("password", None)
    return render("web/reset_password.html", 422, form=page.build(), username=user.username)
