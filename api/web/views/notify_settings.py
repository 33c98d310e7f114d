"""Where a person chooses how notices reach them outside the app: e-mail, SMS or WhatsApp (those this office has
configured), and their phone number. Officers and supervisors choose here too: their SLA, escalation, handover
and stopped-file notices follow the same preference (``engine.messaging.preferences.route_by_preference``).
The rules and the audit are ``engine.people.contact``'s."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from engine.errors import InvalidInput
from engine.messaging.preferences import configured
from engine.people import users
from engine.people.contact import CHANNELS, EMAIL, set_preference

from .. import i18n
from ..blueprint import bp
from ..pages import ctx, db, engine_step, render
from ..security import current_actor, signed_in


@bp.route("/account/notifications", methods=["GET", "POST"])
@signed_in()
def notify_settings():
    actor = current_actor()
    user = users.by_username(db(), actor.username)
    offered = [channel for channel in CHANNELS if channel in configured(ctx().settings)]
    values = {"channel": user.notify_channel or EMAIL, "phone": user.phone or ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {"channel": request.form.get("channel") or EMAIL, "phone": (request.form.get("phone") or "")[:40]}
        if values["channel"] not in offered:
            errors["channel"] = _("This office does not send notices by that channel; choose another.")
        else:
            try:
                with engine_step():
                    set_preference(db(), ctx(), actor.username, channel=values["channel"], phone=values["phone"])
            except InvalidInput as exc:
                errors.update(exc.localized_details(i18n.lang()) or {"channel": exc.localized(i18n.lang())})
            else:
                flash(_("Saved: notices will reach you the way you chose."), "success")
                return redirect(url_for("web.notify_settings"))
    return render("web/notify_settings.html", 422 if errors else 200, values=values, errors=errors,
                  offered=offered, email=user.email, staff=actor.is_staff)
