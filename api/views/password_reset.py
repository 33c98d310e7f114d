"""Forgot password over the JSON API, for apps: the same rules as the pages (``api.web.views.password_reset``).

``POST /api/v1/password-reset`` mails a link (``email``) or sends a six-digit code by SMS/WhatsApp (``phone``: a
number or username) and answers 202 with the same words whatever happened; ``POST /api/v1/password-reset/confirm``
sets the new password with the link's token, or with the phone and the code. Both are limited per address with the
pages (``api.rate_limits``); the engine caps links per account, codes per number and tries per code.
"""

from __future__ import annotations

from engine.errors import InvalidInput
from engine.messaging import account_mail, account_texts
from engine.messaging.mail import MailSettings
from engine.people import password_reset, reset_codes
from engine.texts import N_, Text

from ..json_body import Blueprint
from ..rate_limits import client_address
from ..schemas.password_reset import PasswordResetAccepted, PasswordResetConfirm, PasswordResetRequest
from ..unit_of_work import engine_context, session
from ..web.views.password_reset import gateway_secrets, reset_url

blp = Blueprint("password_reset", __name__, url_prefix="/api/v1/password-reset",
                description="Forgot password: a link by e-mail or a code by SMS/WhatsApp, then the new password.")

_SENT_LINK = ("If an account has this address, a link to set a new password has been mailed to it. It works once, "
              "for one hour.")
_SENT_CODE = ("If an account has this number or username and a mobile number, a six-digit code has been sent to "
              "that number. It is valid for 10 minutes.")


@blp.route("", methods=["POST"])
@blp.arguments(PasswordResetRequest)
@blp.response(202, PasswordResetAccepted)
def request_reset(body):
    """Ask for a link by e-mail or a code by SMS/WhatsApp.

    A link to ``email``, or a code to the number of the account ``phone`` names (a number or a username). The
    answer is the same whether or not an account exists; a ``phone`` request where the office has no SMS or
    WhatsApp gateway is a 422 naming ``phone``."""
    db, ctx = session(), engine_context()
    if "email" in body:
        links = password_reset.request(db, ctx, body["email"], address=client_address())
        account_mail.send_reset_links(MailSettings.from_settings(ctx.settings),
                                      [(link, reset_url(link.token)) for link in links])
        return {"message": _SENT_LINK, "by": "email"}
    if not reset_codes.text_channels(ctx.settings):
        advice = Text(N_("This office sends no SMS or WhatsApp: ask for the link by e-mail."))
        raise InvalidInput(advice, {"phone": advice})
    codes = reset_codes.request(db, ctx, body["phone"], address=client_address())
    account_texts.send_codes(ctx.settings, gateway_secrets(), codes)
    return {"message": _SENT_CODE, "by": "phone"}


@blp.route("/confirm", methods=["POST"])
@blp.arguments(PasswordResetConfirm)
@blp.response(204)
def confirm_reset(body):
    """Set the new password.

    With the mailed link's ``token``, or with ``phone`` and ``code``; every session of the account is signed
    out. A wrong, used or expired token or code is a 422 naming ``token`` or ``code`` (a code takes 5 wrong tries);
    a password the policy refuses is a 422 naming ``password`` and leaves the token or code usable."""
    db, ctx = session(), engine_context()
    if "token" in body:
        password_reset.reset(db, ctx, body["token"], body["password"], address=client_address())
    else:
        reset_codes.reset(db, ctx, body["phone"], body["code"], body["password"], address=client_address())
