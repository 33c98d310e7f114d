"""The issued permit: its letter as a PDF for the applicant (and the staff who may see the file) — the bytes stored
when it was issued (``engine.documents.issued_letters``), never drawn again — and the older public check that
letters printed before the verification page (``views/verification.py``) carry in their QR code.

That older check's address carries the application id and permit number, signed with the app's secret key
(itsdangerous, as Flask signs its session): it cannot be guessed or altered, and needs no table of its own.
"""

from __future__ import annotations

import re

from flask import current_app, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from engine.casework import applications
from engine.documents import issued_letters, permit_letter, verification
from engine.errors import Conflict, Forbidden, InvalidInput
from engine.people.access import SUPERVISOR
from engine.storage.models import Instance

from .. import i18n
from ..blueprint import bp
from ..pages import ctx, db, engine_step, render
from ..security import current_actor, signed_in

_SALT = "lincah.permit-check"


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_SALT)


def letter_response(session, instance, data):
    """The stored letter of an issued permit as a download (the page and the API answer the same file). A permit
    issued before letters were stored, or whose letter could not be rendered then, has it issued now, once."""
    letter = issued_letters.of(session, instance.id)
    if letter is None:
        with engine_step():
            letter = issued_letters.issue(session, ctx(), instance, data, actor=None)
    response = make_response(issued_letters.pdf_of(session, letter))
    response.headers["Content-Type"] = "application/pdf"
    name = re.sub(r"[^A-Za-z0-9]+", "-", letter.permit_number).strip("-") or "izin"
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


@bp.app_template_global("issued_letter")
def issued_letter(application_id: int):
    """The stored letter of an application (for its page's verification link), or ``None``."""
    return issued_letters.of(db(), application_id)


def _verification_page(token: str, http_status: int = 200, **extra):
    found = verification.of_token(db(), ctx(), token)
    if found is None:
        return render("web/permit_verify.html", 404, found=None)
    letter, shown = found
    actor = current_actor()
    instance = db().get(Instance, letter.instance_id)
    may_revoke = (actor is not None and SUPERVISOR in actor.roles and actor.covers(instance.jurisdiction)
                  and shown.status != "revoked")
    return render("web/permit_verify.html", http_status, found=shown, token=token, may_revoke=may_revoke,
                  max_megabytes=verification.MAX_UPLOAD // (1024 * 1024), **extra)


@bp.route("/verify/<token>", methods=["GET", "POST"])
def permit_verify(token: str):
    """The page a letter's QR code opens (public): what the office issued, its status, and a check of the PDF the
    visitor holds: byte for byte against the stored one, and its electronic signature against the trust roots."""
    if request.method == "GET":
        return _verification_page(token)
    upload = request.files.get("letter")
    if upload is None or not upload.filename:
        return _verification_page(token, 400, upload_error=_("Choose the PDF file of the letter you hold."))
    held = upload.read(verification.MAX_UPLOAD + 1)
    if len(held) > verification.MAX_UPLOAD:
        return _verification_page(token, 413, upload_error=_(
            "The file is larger than %(limit)s MB; a permit letter is far smaller. Choose the letter's PDF.",
            limit=verification.MAX_UPLOAD // (1024 * 1024)))
    letter = issued_letters.by_token(db(), token)
    if letter is None:
        return _verification_page(token)
    return _verification_page(token, matched=verification.matches(letter, held), checked_name=upload.filename,
                              held=verification.check_signatures(db(), ctx(), letter, held))


@bp.route("/verify/<token>/revoke", methods=["POST"])
@signed_in(SUPERVISOR)
def permit_revoke(token: str):
    """A supervisor of the file's office revokes the permit, with the reason the page will show."""
    letter = issued_letters.by_token(db(), token)
    if letter is None:
        return render("web/permit_verify.html", 404, found=None)
    instance = db().get(Instance, letter.instance_id)
    try:
        with engine_step():
            issued_letters.revoke(db(), ctx(), instance, current_actor(), request.form.get("reason", ""))
    except (InvalidInput, Conflict, Forbidden) as exc:
        status = 403 if isinstance(exc, Forbidden) else 400
        return _verification_page(token, status, revoke_error=exc.localized(i18n.lang()))
    flash(_("Permit %(number)s was revoked.", number=letter.permit_number), "success")
    return redirect(url_for("web.permit_verify", token=token))
