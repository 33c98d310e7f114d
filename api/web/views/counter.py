"""The front office's counter (*loket*): find or open a walk-in applicant's account, apply for them through the
service's own start form (``applicant.apply`` with the person's username), print the receipt; and the public
tracking page the receipt's QR code opens. The rules are ``engine.casework.counter``."""

from __future__ import annotations

import hmac
import io

import segno
from flask import Response, g, request
from markupsafe import Markup

from engine.casework import counter
from engine.errors import Conflict, InvalidInput, NotFound
from engine.people.access import OFFICER
from engine.reporting import timeline
from engine.storage.models import Instance, Task

from ... import receipts
from .. import i18n
from ..blueprint import bp
from ..pages import ctx, db, engine_step, render, service_names
from ..security import current_actor, signed_in

_FIELDS = ("nik", "email", "phone", "full_name")


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
    address = receipts.tracking_url(given.instance)
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
    pdf = receipts.pdf(given)
    name = receipts.file_name(given)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"})


@bp.route("/track/<int(max=2147483647):application_id>/<code>")
def public_tracking(application_id: int, code: str):
    """Where a receipt's QR code leads: the file's stage and the office holding it, nothing personal."""
    instance = db().get(Instance, application_id)
    if instance is None or not hmac.compare_digest(code, receipts.tracking_code(instance.registration_no)):
        raise NotFound("There is no application at this tracking address; check the receipt's QR code or sign in.")
    open_tasks = list(db().query(Task).filter(Task.instance_id == instance.id, Task.state.in_(("ready", "claimed"))))
    holders = sorted({t.jurisdiction for t in open_tasks if not t.for_applicant})
    return render("web/track.html", instance=instance, status=timeline.status(instance, open_tasks),
                  holders=holders, service_name=i18n.service_name(instance.definition))
