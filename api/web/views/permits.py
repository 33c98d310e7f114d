"""The issued permit: its letter as a PDF for the applicant (and the staff who may see the file), and the public
check a QR code on the letter opens — anyone holding a letter can see that the office issued it, and to whom.

The check's address carries the application id and permit number, signed with the app's secret key (itsdangerous,
as Flask signs its session): it cannot be guessed or altered, and needs no table of its own.
"""

from __future__ import annotations

import re

from flask import current_app, make_response, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from engine.casework import applications
from engine.documents import permit_letter
from engine.storage.models import Instance

from ..blueprint import bp
from ..pages import ctx, db, render
from ..security import current_actor, signed_in

_SALT = "lincah.permit-check"


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_SALT)


def check_url(instance: Instance, permit_number: str) -> str:
    return url_for("web.permit_check", token=_signer().dumps([instance.id, permit_number]), _external=True)


def letter_response(session, instance, data):
    """The letter of an issued permit as a download (the page and the API answer the same file)."""
    facts = permit_letter.permit_facts(session, ctx(), instance, data)
    pdf = permit_letter.render(facts, check_url=check_url(instance, facts.permit_number))
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    name = re.sub(r"[^A-Za-z0-9]+", "-", facts.permit_number).strip("-") or "izin"
    response.headers["Content-Disposition"] = f'attachment; filename="izin-{name}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/applications/<int(max=2147483647):application_id>/permit.pdf")
@signed_in()
def permit_pdf(application_id: int):
    session = db()
    instance = applications.get(session, application_id, current_actor())
    data = applications.current_data(ctx(), instance)
    if not permit_letter.is_issued(instance, data):
        return render("web/error.html", 404, title=_("The permit has not been issued yet"),
                      explanation=_("The permit letter can be downloaded once the permit is issued."))
    return letter_response(session, instance, data)


@bp.route("/permits/check/<token>")
def permit_check(token: str):
    try:
        application_id, permit_number = _signer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return render("web/permit_check.html", 404, valid=False)
    session = db()
    instance = session.get(Instance, application_id) if isinstance(application_id, int) else None
    data = applications.current_data(ctx(), instance) if instance is not None else {}
    if instance is None or not permit_letter.is_issued(instance, data) or data.get("permit_number") != permit_number:
        return render("web/permit_check.html", 404, valid=False)
    facts = permit_letter.permit_facts(session, ctx(), instance, data)
    return render("web/permit_check.html", valid=True, facts=facts)
