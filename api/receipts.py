"""The counter's receipt, shared by the page (``/counter/receipt/<id>``) and the API (``/api/v1/counter/…``): the
public tracking address its QR code prints, and the receipt as PDF."""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app, url_for

from engine.casework.counter import Receipt
from engine.documents import counter_receipt, letter_rendering
from engine.people import offices

from .unit_of_work import engine_context, session
from .web import i18n


def tracking_code(registration_no: str) -> str:
    """The check part of a public tracking address: a registration number alone must not open a file's status,
    since numbers are sequential."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"track:{registration_no}".encode(), hashlib.sha256).hexdigest()[:20]


def tracking_url(instance) -> str:
    """The address the receipt prints: under the installation's public URL when set, since paper outlives the
    internal host name the clerk's browser used."""
    code = tracking_code(instance.registration_no)
    public = engine_context().settings.public_url
    if public:
        return public + url_for("web.public_tracking", application_id=instance.id, code=code)
    return url_for("web.public_tracking", application_id=instance.id, code=code, _external=True)


def pdf(given: Receipt) -> bytes:
    """The receipt as an A5 PDF, in the office's name."""
    office = offices.get(session(), given.instance.jurisdiction)
    return counter_receipt.render(counter_receipt.ReceiptPage(
        registration_no=given.instance.registration_no, service=i18n.service_name(given.instance.definition),
        applicant=given.instance.applicant_name, received_at=i18n.when(given.received_at), clerk=given.clerk,
        tracking_address=tracking_url(given.instance), office_name=office.name, office_address=office.address,
        office_emblem=letter_rendering.image_data_url(office.emblem, office.emblem_type),
        documents=[(name, f"{size / 1024:.1f} KB") for name, size in given.documents]))


def file_name(given: Receipt) -> str:
    return "tanda-terima-" + "".join(c if c.isalnum() else "-" for c in given.instance.registration_no) + ".pdf"
