"""What a person sees when a rate limit (``api.rate_limits``) stops a page: the error page saying what happened and
how long to wait, in their language — or, for the upload a page's script sends, the ``{"error": …}`` it shows beside
the file field."""

from __future__ import annotations

from flask import jsonify, make_response, render_template, request
from flask_babel import gettext as _

_EXPLANATIONS = {
    "signin": lambda: _("Too many sign-in attempts came from your network."),
    "signin-failures-address": lambda: _("Too many failed sign-ins came from your network."),
    "signin-failures-account": lambda: _("There were too many failed sign-ins for this account. If you forgot "
                                         "your password, ask an administrator to reset it."),
    "register": lambda: _("Too many accounts were registered from your network."),
    "upload-account": lambda: _("You uploaded many documents in a short time."),
    "upload-address": lambda: _("Many documents were uploaded from your network in a short time."),
    "permit-check": lambda: _("Too many permits were checked from your network."),
    "password-reset": lambda: _("Too many password links were asked for from your network."),
    "draft": lambda: _("The form was saved very often in a short time."),
}


def wait_text(seconds: int) -> str:
    if seconds < 120:
        return _("Wait %(seconds)d seconds, then try again.", seconds=seconds)
    return _("Wait %(minutes)d minutes, then try again.", minutes=(seconds + 59) // 60)


def answer(scope: str, seconds: int):
    """The 429 answer for the counter ``scope`` that is full for another ``seconds``."""
    explanation = _EXPLANATIONS.get(scope, lambda: _("Too many requests came from your network."))()
    if request.endpoint in ("web.upload", "web.save_draft"):
        return make_response(jsonify({"error": f"{explanation} {wait_text(seconds)}"}), 429)
    return make_response(render_template("web/error.html", status=429, title=_("Too many attempts"),
                                         explanation=explanation, detail=wait_text(seconds)), 429)
