"""The administrator's outbox: notices that failed to go out (e-mail, SMS, WhatsApp) with the reason the mail server
or gateway gave, and those waiting for another try — what to fix (a number, an address, the gateway's settings)."""

from __future__ import annotations

from flask import g, request

from engine.messaging import deliveries
from engine.people.access import ADMIN

from ..blueprint import bp
from ..delivery_labels import delivery_labels
from ..pages import db, render
from ..security import current_actor, signed_in


@bp.route("/admin/outbox")
@signed_in(ADMIN)
def admin_outbox():
    g.staff_page = True
    failed_only = request.args.get("show") == "failed"
    rows = deliveries.problems(db(), current_actor(), include_retrying=not failed_only)
    return render("web/admin/outbox.html", rows=rows, failed_only=failed_only, **delivery_labels())
