"""Forgot password: ask for a link by e-mail, then set a new password through it (``engine.people.password_reset``);
or, where the office has an SMS or WhatsApp gateway, ask for a six-digit code by phone number or username and type
it with the new password (``engine.people.reset_codes``).

The request pages answer the same whether or not the address or number has an account, and send on a thread of
their own (``engine.messaging.account_mail``, ``account_texts``), so neither the words nor the time tell. Every page
is rate limited per address (``api.rate_limits``); the engine also caps the open links per account and the codes
per number, and the tries per code.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from engine.errors import InvalidInput
from engine.integration.connector_guard import ConnectorSettings
from engine.messaging import account_mail, account_texts
from engine.messaging.mail import MailSettings
from engine.people import password_reset, reset_codes

from ...rate_limits import client_address
from .. import i18n, password_advice
from ..blueprint import bp
from ..pages import FormPage, ctx, db, render


def request_form() -> FormPage:
    schema = {"type": "object", "required": ["email"], "properties": {
        "email": {"type": "string", "format": "email", "title": _("E-mail"), "maxLength": 300}}}
    ui = {"email": {"ui:autocomplete": "email",
                    "ui:help": _("The address of your account. We send a link to set a new password.")}}
    return FormPage(schema, ui)


def phone_form() -> FormPage:
    schema = {"type": "object", "required": ["name"], "properties": {
        "name": {"type": "string", "title": _("Mobile number or username (NIK)"), "maxLength": 100}}}
    ui = {"name": {"ui:autocomplete": "username",
                   "ui:help": _("The number saved on your account, or your username: we send a six-digit code by "
                                "SMS or WhatsApp to the account's number.")}}
    return FormPage(schema, ui)


def code_form(name: str = "") -> FormPage:
    schema = {"type": "object", "required": ["name", "code", "password"], "properties": {
        "name": {"type": "string", "title": _("Mobile number or username (NIK)"), "maxLength": 100},
        "code": {"type": "string", "title": _("Code"), "pattern": "^[0-9]{6}$", "maxLength": 6},
        "password": {"type": "string", "title": _("New password"), "maxLength": 200}}}
    ui = {"name": {"ui:autocomplete": "username"},
          "code": {"ui:autocomplete": "one-time-code", "ui:help": _("The six digits from the SMS or WhatsApp "
                                                                   "message; valid for 10 minutes.")},
          "password": {"ui:widget": "password", "ui:autocomplete": "new-password", "ui:help": password_advice.hint()}}
    return FormPage(schema, ui, data={"name": name} if name else {})


def new_password_form() -> FormPage:
    schema = {"type": "object", "required": ["password"], "properties": {
        "password": {"type": "string", "title": _("New password"), "maxLength": 200}}}
    ui = {"password": {"ui:widget": "password", "ui:autocomplete": "new-password", "ui:help": password_advice.hint()}}
    return FormPage(schema, ui)


def reset_url(token: str) -> str:
    """The page that sets a new password with ``token``, at the installation's public address."""
    public = ctx().settings.public_url
    path = url_for("web.reset_password", token=token)
    return f"{public}{path}" if public else url_for("web.reset_password", token=token, _external=True)


# The name typed on the request page, carried to the code page in the signed session cookie (not the address bar).
_NAME_KEY = "reset_name"


def gateway_secrets() -> dict:
    """The connector secrets holding the gateways' keys (``LINCAH_SECRET_*`` / the secrets file), read once."""
    found = current_app.extensions["lincah"].get("gateway_secrets")
    if found is None:
        found = ConnectorSettings.from_env(ctx().settings.connector_environment()).secrets
        current_app.extensions["lincah"]["gateway_secrets"] = found
    return found


def _page(http_status: int = 200, *, form=None, phone=None, sent=False):
    texting = bool(reset_codes.text_channels(ctx().settings))
    return render("web/forgot_password.html", http_status, form=(form or request_form()).build(), sent=sent,
                  phone_form=(phone or phone_form()).build() if texting else None)


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    page = request_form()
    if request.method == "GET":
        return _page()
    page.read(request, store=None)
    if not page.check():
        return _page(422, form=page)
    links = password_reset.request(db(), ctx(), page.data["email"], address=client_address())
    account_mail.send_reset_links(MailSettings.from_settings(ctx().settings),
                                  [(link, reset_url(link.token)) for link in links])
    return _page(sent=True)


@bp.route("/forgot-password/phone", methods=["POST"])
def forgot_password_phone():
    if not reset_codes.text_channels(ctx().settings):
        return redirect(url_for("web.forgot_password"))
    page = phone_form()
    page.read(request, store=None)
    if not page.check():
        return _page(422, phone=page)
    codes = reset_codes.request(db(), ctx(), page.data["name"], address=client_address())
    account_texts.send_codes(ctx().settings, gateway_secrets(), codes)
    session[_NAME_KEY] = page.data["name"][:100]
    flash(_("If an account has this number or name and a mobile number, we have sent a six-digit code to that "
            "number. It is valid for 10 minutes."), "success")
    return redirect(url_for("web.reset_password_code"))


@bp.route("/reset-password/code", methods=["GET", "POST"])
def reset_password_code():
    if not reset_codes.text_channels(ctx().settings):
        return redirect(url_for("web.forgot_password"))
    page = code_form(session.get(_NAME_KEY, ""))
    if request.method == "GET":
        return render("web/reset_password_code.html", form=page.build())
    page.read(request, store=None)
    if page.check():
        try:
            reset_codes.reset(db(), ctx(), page.data["name"], page.data["code"], page.data["password"],
                              address=client_address())
        except reset_codes.InvalidResetCode as exc:
            page.errors["code"] = exc.localized(i18n.lang())
        except InvalidInput as exc:
            page.errors["password"] = password_advice.for_error(exc)
        else:
            session.pop(_NAME_KEY, None)
            flash(_("Your password has been changed and every session signed out. Sign in with the new password."),
                  "success")
            return redirect(url_for("web.signin"))
    page.data.pop("password", None)
    return render("web/reset_password_code.html", 422, form=page.build())


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
