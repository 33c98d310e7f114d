"""The front office's counter (*loket*): find or open a walk-in applicant's account, apply for them through the
service's own start form (``applicant.apply`` with the person's username), print the receipt; and the public
tracking page the receipt's QR code opens. The rules are ``engine.casework.counter``."""

from __future__ import annotations

import hashlib
import hmac
import io

import segno
from flask import Response, current_app, g, request, url_for
from markupsafe import Markup

from engine.casework import counter
from engine.documents import counter_receipt as receipt_pdf
from engine.documents import letter_rendering
from engine.errors import Conflict, InvalidInput, NotFound
from engine.people import offices
from engine.people.access import OFFICER
from engine.reporting import timeline
from engine.storage.models import Instance, Task

from .. import i18n
from ..blueprint import bp
from ..pages import ctx, db, engine_step, render, service_names
from ..security import current_actor, signed_in

_FIELDS = ("nik", "email", "phone", "full_name")


def tracking_code(registration_no: str) -> str:
    """The check part of a public tracking address: a registration number alone must not open a file's status,
    since numbers are sequential."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"track:{registration_no}".encode(), hashlib.sha256).hexdigest()[:20]


def tracking_url(instance) -> str:
    """The address the receipt prints: under the installation's public URL when set, since paper outlives the
    internal host name the clerk's browser used."""
    path = url_for("web.public_tracking", application_id=instance.id, code=tracking_code(instance.registration_no))
    public = ctx().settings.public_url
    return f"{public}{path}" if public else url_for("web.public_tracking", application_id=instance.id,
                                                    code=tracking_code(instance.registration_no), _external=True)


@bp.route("/counter", methods=["GET", "POST"])
@signed_in(OFFICER)
def counter_intake():
    actor = current_actor()
    if not counter.may_take_walk_ins(actor):
        return render("web/counter.html", 403, forbidden=True, values={}, errors={}, found=None, services={})
    g.staff_page = True
    values = {name: (request.form.get(name) or "").strip()[:300] for name in _FIELDS}
    errors: dict[str, str] = {}
    found = None
    services = service_names()
    if request.method == "POST":
        person = counter.Walkin(**values)
        try:
            if request.form.get("action") == "open":
                with engine_step():
                    user = counter.open_account(db(), actor, person, at=ctx().now())
                found = [user]
            else:
                found = counter.find(db(), actor, person)
        except InvalidInput as exc:
            errors = {field: str(problem) for field, problem in (exc.details or {"nik": exc.message}).items()}
        except Conflict as exc:
            errors = {"nik": str(exc.message)}
    return render("web/counter.html", 422 if errors else 200, forbidden=False, values=values, errors=errors,
                  found=found, services=services)


@bp.route("/counter/receipt/<int(max=2147483647):application_id>")
@signed_in(OFFICER)
def counter_receipt(application_id: int):
    g.staff_page = True
    given = counter.receipt(db(), current_actor(), application_id)
    address = tracking_url(given.instance)
    buffer = io.BytesIO()
    segno.make(address, error="m").save(buffer, kind="svg", scale=4, border=2, xmldecl=False, svgns=True)
    # segno's own SVG of an address we built: no user text goes into it.
    qr = Markup(buffer.getvalue().decode())  # noqa: S704
    return render("web/counter_receipt.html", receipt=given, qr=qr, tracking_address=address,
                  service_name=i18n.service_name(given.instance.definition))


@bp.route("/counter/receipt/<int(max=2147483647):application_id>.pdf")
@signed_in(OFFICER)
def counter_receipt_pdf(application_id: int):
    """The same receipt as an A5 PDF, to archive, print without the browser's margins, or send to the applicant."""
    given = counter.receipt(db(), current_actor(), application_id)
    office = offices.get(db(), given.instance.jurisdiction)
    pdf = receipt_pdf.render(receipt_pdf.ReceiptPage(
        registration_no=given.instance.registration_no, service=i18n.service_name(given.instance.definition),
        applicant=given.instance.applicant_name, received_at=i18n.when(given.received_at), clerk=given.clerk,
        tracking_address=tracking_url(given.instance), office_name=office.name, office_address=office.address,
        office_emblem=letter_rendering.image_data_url(office.emblem, office.emblem_type),
        documents=[(name, f"{size / 1024:.1f} KB") for name, size in given.documents]))
    name = "tanda-terima-" + "".join(c if c.isalnum() else "-" for c in given.instance.registration_no) + ".pdf"
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"})


@bp.route("/track/<int(max=2147483647):application_id>/<code>")
def public_tracking(application_id: int, code: str):
    """Where a receipt's QR code leads: the file's stage and the office holding it, nothing personal."""
    instance = db().get(Instance, application_id)
    if instance is None or not hmac.compare_digest(code, tracking_code(instance.registration_no)):
        raise NotFound("There is no application at this tracking address; check the receipt's QR code or sign in.")
    open_tasks = list(db().query(Task).filter(Task.instance_id == instance.id, Task.state.in_(("ready", "claimed"))))
    holders = sorted({t.jurisdiction for t in open_tasks if not t.for_applicant})
    return render("web/track.html", instance=instance, status=timeline.status(instance, open_tasks),
                  holders=holders, service_name=i18n.service_name(instance.definition))
