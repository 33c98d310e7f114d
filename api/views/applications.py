"""Applications: apply, track, open one, cancel, resume after an error.

Who sees what is the engine's rule (``engine.people.access``).
"""

from __future__ import annotations

from engine.casework import applications, bills, counter, use_cases
from engine.documents import issued_letters, permit_letter
from engine.errors import NotFound
from engine.people.access import APPLICANT, OFFICER, SUPERVISOR
from engine.reporting import satisfaction, tracking

from .. import presenters
from ..auth import current_actor, login_required
from ..json_body import Blueprint
from ..schemas.applications import (
    ApplicationCreate,
    ApplicationCreated,
    ApplicationDetail,
    ApplicationListArgs,
    ApplicationPage,
    ApplicationSummary,
    CancelRequest,
    ResumeRequest,
)
from ..schemas.permits import PermitLetter, RevokeRequest
from ..schemas.satisfaction import SurveyAnswer, SurveyReceipt
from ..unit_of_work import engine_context, session
from ..web.views.permits import letter_response

blp = Blueprint("applications", __name__, url_prefix="/api/v1/applications",
                description="Applications (permohonan): apply, track, cancel.")


@blp.route("", methods=["POST"])
@login_required(APPLICANT, OFFICER, SUPERVISOR)
@blp.arguments(ApplicationCreate)
@blp.response(201, ApplicationCreated)
def create(body):
    """Apply for a service (applicants), or apply at the counter on behalf of an applicant (front office).

    The office that works the file comes from the service: a fixed office, or the start-form field the service
    routes by (e.g. the vessel's ``home_regency``), which must be one of the offices that field lists (422 naming
    the field otherwise). A ``jurisdiction`` in the request is refused (422); front-office staff may apply only for
    files of an office they serve (403)."""
    db = session()
    instance = use_cases.start_application(db, engine_context(), current_actor(), service=body["service"],
                                          data=body["data"], applicant=body["applicant"])
    if body["applicant"] and counter.may_take_walk_ins(current_actor()):
        counter.record_intake(db, engine_context(), current_actor(), instance)  # the receipt and the audit need it
    return {"id": instance.id, "registration_no": instance.registration_no, "status": instance.status,
            "tasks": [presenters.task_of(t, instance, engine_context().now())
                      for t in applications.open_tasks(db, instance)]}


@blp.route("")
@login_required()
@blp.arguments(ApplicationListArgs, location="query", as_kwargs=True)
@blp.response(200, ApplicationPage)
def list_applications(**filters):
    """The applications you may see: your own (applicants) or those of your offices (staff), newest first."""
    rows, total = tracking.search(session(), current_actor(), **filters)
    return {"items": [vars(r) for r in rows], "total": total}


@blp.route("/<int(max=2147483647):application_id>")
@login_required()
@blp.response(200, ApplicationDetail)
def get(application_id: int):
    """One application: status, data, open tasks and its full history."""
    db = session()
    instance = applications.get(db, application_id, current_actor())
    body = presenters.application_summary(instance)
    data = applications.current_data(engine_context(), instance)
    events = tracking.history(db, instance)
    bill = bills.bill_of(instance, data, engine_context().now(), events)
    body.update(revision=instance.revision, error_element=instance.error_element,
                error_message=instance.error_message, data=data, bill=vars(bill) if bill else None,
                tasks=[presenters.task_of(t, instance, engine_context().now())
                       for t in applications.open_tasks(db, instance)],
                history=[presenters.event(e) for e in events])
    return body


@blp.route("/<int(max=2147483647):application_id>/cancel", methods=["POST"])
@login_required()
@blp.arguments(CancelRequest, required=False)
@blp.response(200, ApplicationSummary)
def cancel(body, application_id: int):
    """Withdraw (the applicant, before an officer decided) or cancel (a supervisor of the office, with the
    ``reason`` the applicant is told: 422 without one)."""
    instance = applications.cancel(session(), engine_context(), application_id, current_actor(),
                                   reason=(body or {}).get("reason", ""))
    return presenters.application_summary(instance)


@blp.route("/<int(max=2147483647):application_id>/resume", methods=["POST"])
@login_required(SUPERVISOR)
@blp.arguments(ResumeRequest, required=False)
@blp.response(200, ApplicationSummary)
def resume(body, application_id: int):
    """Run an application stopped by an error again from its last good state (an administrator or a supervisor
    of the office), once the cause has been dealt with. If it fails again: 422 with the step and the reason, and
    the application stays stopped."""
    instance = applications.resume(session(), engine_context(), application_id, current_actor(),
                                   note=(body or {}).get("note", ""))
    return presenters.application_summary(instance)


@blp.route("/<int(max=2147483647):application_id>/permit.pdf")
@login_required()
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf",
              description="The permit letter (PDF with a QR code to the public check).")
def permit_pdf(application_id: int):
    """The letter of an issued permit; 404 until the permit is issued."""
    db = session()
    instance = applications.get(db, application_id, current_actor())
    data = applications.current_data(engine_context(), instance)
    if not permit_letter.is_issued(instance, data):
        raise NotFound(f"Application {instance.registration_no} has no issued permit (yet).")
    return letter_response(db, instance, data)


def _permit_letter(db, instance) -> dict:
    letter = issued_letters.of(db, instance.id)
    if letter is None:
        raise NotFound(f"Application {instance.registration_no} has no issued letter (yet).")
    url = issued_letters.verify_url(db, engine_context(), instance, letter.verify_token) if letter.verify_token \
        else None
    return {"permit_number": letter.permit_number, "status": issued_letters.status(engine_context(), letter, instance),
            "sha256": letter.sha256, "issued_at": letter.issued_at, "valid_until": letter.valid_until,
            "verify_url": url, "revoked_at": letter.revoked_at, "revoked_by": letter.revoked_by,
            "revoke_reason": letter.revoke_reason}


@blp.route("/<int(max=2147483647):application_id>/permit")
@login_required()
@blp.response(200, PermitLetter)
def permit(application_id: int):
    """The issued letter's record: number, status (valid, expired, revoked), SHA-256 of the stored PDF and the
    verification page its QR code opens; 404 until the permit is issued."""
    db = session()
    return _permit_letter(db, applications.get(db, application_id, current_actor()))


@blp.route("/<int(max=2147483647):application_id>/permit/revoke", methods=["POST"])
@login_required(SUPERVISOR)
@blp.arguments(RevokeRequest)
@blp.response(200, PermitLetter)
def revoke_permit(body, application_id: int):
    """A supervisor of the file's office revokes its permit with a reason (audited); the verification page shows
    it. The stored letter itself never changes."""
    db = session()
    instance = applications.get(db, application_id, current_actor())
    issued_letters.revoke(db, engine_context(), instance, current_actor(), body["reason"])
    return _permit_letter(db, instance)


@blp.route("/<int(max=2147483647):application_id>/survey", methods=["POST"])
@login_required(APPLICANT)
@blp.arguments(SurveyAnswer)
@blp.response(201, SurveyReceipt)
def answer_survey(body, application_id: int):
    """The satisfaction survey (SKM) of a finished application, by its applicant, once: nine items 1–4."""
    db = session()
    instance = applications.get(db, application_id, current_actor())
    response = satisfaction.submit(db, engine_context(), instance, current_actor(), body["answers"],
                                   body["comment"])
    return {"application_id": instance.id, "submitted_at": response.submitted_at}
