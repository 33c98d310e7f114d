"""The front office's counter over the API (``engine.casework.counter`` holds the rules; the page is /counter): find
or open a walk-in applicant's account, apply for them with ``POST /applications`` naming ``applicant``, and fetch
the receipt as data or as the printable PDF."""

from __future__ import annotations

from flask import Response, url_for

from engine.casework import counter
from engine.people.access import OFFICER

from .. import receipts
from ..auth import current_actor, login_required
from ..json_body import Blueprint
from ..schemas.counter import ApplicantAccount, ApplicantAccountList, CounterReceipt, WalkinAccount, WalkinQuery
from ..unit_of_work import engine_context, session

blp = Blueprint("counter", __name__, url_prefix="/api/v1/counter",
                description="The front office's counter (group front_office): walk-in applicants and receipts.")


def _account(user) -> dict:
    return {"username": user.username, "full_name": user.full_name, "nik": user.nik, "email": user.email,
            "phone": user.phone}


@blp.route("/accounts")
@login_required(OFFICER)
@blp.arguments(WalkinQuery, location="query")
@blp.response(200, ApplicantAccountList)
def find_accounts(query):
    """Active applicant accounts matching the NIK, e-mail or phone given (at least one); 422 naming the field."""
    return {"items": [_account(user) for user in counter.find(session(), current_actor(), counter.Walkin(**query))]}


@blp.route("/accounts", methods=["POST"])
@login_required(OFFICER)
@blp.arguments(WalkinAccount)
@blp.response(201, ApplicantAccount)
def open_account(body):
    """An account for a walk-in with none: the NIK is its username; the person takes it over with "forgot
    password". 409 when the NIK has an account already."""
    user = counter.open_account(session(), current_actor(), counter.Walkin(**body), at=engine_context().now())
    return _account(user)


@blp.route("/receipts/<int(max=2147483647):application_id>")
@login_required(OFFICER)
@blp.response(200, CounterReceipt)
def receipt(application_id: int):
    """What the receipt of an application submitted at this counter says."""
    given = counter.receipt(session(), current_actor(), application_id)
    instance = given.instance
    return {"application": instance.id, "registration_no": instance.registration_no,
            "service": instance.service_key, "applicant": instance.applicant,
            "applicant_name": instance.applicant_name, "received_at": given.received_at,
            "received_by": given.clerk, "documents": [{"name": n, "size": s} for n, s in given.documents],
            "tracking_url": receipts.tracking_url(instance),
            "pdf": url_for("counter.receipt_pdf", application_id=instance.id)}


@blp.route("/receipts/<int(max=2147483647):application_id>.pdf")
@login_required(OFFICER)
def receipt_pdf(application_id: int):
    """The printable receipt (A5 PDF) with the QR code to the public tracking page."""
    given = counter.receipt(session(), current_actor(), application_id)
    return Response(receipts.pdf(given), mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{receipts.file_name(given)}"', "Cache-Control": "no-store"})
