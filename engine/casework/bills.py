"""The bill (*tagihan retribusi*) of an application, as its service declares it, and the applicant's two messages
about it: the bill is issued, the payment is received.

A service says where its bill lives in the application's data with process-level ``camunda:properties`` — dotted
paths, so the diagram stays the one place that knows its variables::

    bill.amount   = retribusi.amount     (a whole number of rupiah)
    bill.account  = virtual_account      (the virtual account / payment code; the bill exists once it is set)
    bill.deadline = pay_before           (ISO 8601 with its offset, as the bank answers)
    bill.paid     = paid_amount          (set when the payment is received)

A service without ``bill.account`` has no bill: nothing is read, nothing is sent, at no cost to its steps.

The bank may refuse to issue the bill (an HTTP 4xx answer to the step that asks for it, the one whose output
mapping sets ``bill.account``): the HTTP connector makes that step an incident at once (``engine.integration.
http_connector``) and :func:`gateway_refused` records the refusal on the application (``bill_refused``, with the
bank's reason) and tells the office's supervisors what to do. Until a person retries the step the bill reads as
``declined``; once retried, ``requested`` — a new request goes to the bank, and its bill replaces the refusal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from engine.messaging import notifications
from engine.messaging.preferences import route_to_applicant
from engine.storage import audit
from engine.storage.models import Event, Instance
from engine.texts import ENGLISH, INDONESIAN, N_

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

WAITING, PAID, EXPIRED, REFUSED = "waiting", "paid", "expired", "refused"
# The bank refused to issue the bill (``BILL_REFUSED`` is the latest word on it), or a person sent the request again.
DECLINED, REQUESTED = "declined", "requested"
BILL_REFUSED = "bill_refused"  # audit kind and notice kind alike
_RETRIED = ("incident_retried",)  # a person sent the step back to the connector (retry or resume, both audited so)
# Refusals of the bank's messages recorded on the application (engine.integration.refusals): a payment refused for
# its amount or data while the bill waits, a payment arriving after the file closed.
PAYMENT_REFUSED, PAID_AFTER_CLOSE = "message_refused", "message_after_close"
BILL_ISSUED, BILL_PAID = "bill_issued", "bill_paid"
_CLOSED = ("completed", "cancelled")
_MISSING = object()

_TEXTS = {
    BILL_ISSUED: (N_("Bill for application %(reg)s: %(amount)s"),
                  N_("The levy (retribusi) for application %(reg)s (%(service)s) is %(amount)s. Pay it into virtual "
                     "account %(account)s before %(deadline)s; an unpaid bill closes the file after that time.")),
    BILL_REFUSED: (N_("The bank refused the bill for application %(reg)s"),
                   N_("The bank refused to issue the levy bill for application %(reg)s (%(service)s) at step "
                      "%(step)s: HTTP %(status)s, %(reason)s. The file is stopped there and the applicant cannot pay "
                      "yet. Deal with the cause (the data sent, or the bank account's settings, with the bank), then "
                      "retry the step on the application's page: Lincah asks the bank for a new bill.")),
    BILL_PAID: (N_("Payment for application %(reg)s received"),
                N_("Your payment of %(amount)s for application %(reg)s (%(service)s) has been received. The office "
                   "goes on with your application.")),
}


@dataclass(frozen=True)
class Bill:
    amount: int | None
    account: str
    deadline: datetime | None
    # waiting | paid | expired | refused (waiting, after a payment message was refused) | declined | requested
    status: str
    paid_amount: int | None
    refusals: tuple = ()  # the application's events recording refused payment messages, oldest first
    reason: str | None = None  # declined: the bank's reason (for the office; the applicant is told plainly)
    http_status: int | None = None  # declined: the bank's answer
    declined_at: datetime | None = None


def rupiah(amount) -> str:
    """``Rp 300.000``: whole rupiah with dots between thousands, as bills and receipts print them."""
    if not isinstance(amount, int | float) or isinstance(amount, bool):
        return "-"
    return "Rp " + f"{int(amount):,}".replace(",", ".")


def _paths(instance: Instance) -> dict[str, str]:
    properties = ((instance.definition.meta or {}).get("process") or {}).get("properties") or {}
    return {key.removeprefix("bill."): value for key, value in properties.items()
            if key.startswith("bill.") and isinstance(value, str) and value.strip()}


def _at(data: dict, path: str | None):
    value = data
    for part in (path or "").split("."):
        value = value.get(part, _MISSING) if isinstance(value, dict) else _MISSING
    return value


def _deadline(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else None  # a deadline without its zone cannot be shown in office time


def bill_of(instance: Instance, data: dict, now: datetime, events=()) -> Bill | None:
    """The application's bill, or ``None`` when its service has none or none was issued yet. ``events``: the
    application's audit events, when the caller has them — a bill still waiting after a refused payment message is
    ``refused``, and the refusals come with it."""
    paths = _paths(instance)
    if "account" not in paths:
        return None
    account = _at(data, paths["account"])
    amount, paid = _at(data, paths.get("amount")), _at(data, paths.get("paid"))
    if not isinstance(account, str | int) or isinstance(account, bool) or account == "":
        return _declined(amount, events)
    deadline = _deadline(_at(data, paths.get("deadline")))
    if paid is not _MISSING and paid is not None:
        status = PAID
    elif instance.status in _CLOSED or deadline is not None and deadline <= now:
        status = EXPIRED
    else:
        status = WAITING
    refusals = tuple(event for event in events if event.kind in (PAYMENT_REFUSED, PAID_AFTER_CLOSE))
    if status == WAITING and any(event.kind == PAYMENT_REFUSED for event in refusals):
        status = REFUSED
    return Bill(_whole(amount), str(account), deadline, status, _whole(paid), refusals)


def _whole(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _declined(amount, events) -> Bill | None:
    """No bill issued: ``declined`` when the bank's refusal is the latest word on it, ``requested`` once a person
    sent the step back after it; ``None`` when the bank never refused (the bill is simply not asked for yet)."""
    events = list(events)
    last = max((index for index, event in enumerate(events) if event.kind == BILL_REFUSED), default=None)
    if last is None:
        return None
    refused = events[last]
    retried = any(event.kind in _RETRIED and event.element_id == refused.element_id for event in events[last + 1:])
    data = refused.data or {}
    return Bill(_whole(amount), "", None, REQUESTED if retried else DECLINED, None, (),
                reason=data.get("reason"), http_status=data.get("status"), declined_at=refused.at)


def produces_bill(instance: Instance, outputs: Iterable[str]) -> bool:
    """Whether a step whose output mapping sets ``outputs`` is the one asking for the bill: it sets the variable
    the service's ``bill.account`` path starts from."""
    account = _paths(instance).get("account")
    return account is not None and account.split(".", 1)[0] in set(outputs)


_KEYS = ("message", "error_description", "error", "reason", "detail", "description", "errorMessage")
_SPACES = re.compile(r"\s+")


def reason_of(answer, text: str) -> str:
    """The bank's reason, as its answer gives it: the first message-like field of a JSON body (one level down
    too, ``{"error": {"message": …}}``), else the text itself, shortened."""
    for value in (answer, *(answer.get(key) for key in _KEYS if isinstance(answer, dict))):
        if isinstance(value, dict):
            value = next((value[key] for key in _KEYS if isinstance(value.get(key), str)), None)
        if isinstance(value, str) and value.strip():
            return _SPACES.sub(" ", value).strip()[:500]
    return _SPACES.sub(" ", text or "").strip()[:500] or "-"


def gateway_refused(session: Session, ctx: EngineContext, instance: Instance, *, element_id: str, outputs,
                    status: int, reason: str, actor: str, external_task: str) -> bool:
    """Record that the bank refused the bill request of ``element_id`` and tell the office's supervisors (or, with
    none, the administrators) why and what to do. False when the step is not the service's bill request."""
    if not produces_bill(instance, outputs):
        return False
    audit.record(session, BILL_REFUSED, actor=actor, at=ctx.now(), instance_id=instance.id, element_id=element_id,
                 status=status, reason=reason, external_task=external_task)
    directory = notifications.Directory.of_active_users(session)
    recipients = directory.supervisors(instance.jurisdiction) or directory.administrators()
    if not recipients:
        return True
    definition = instance.definition
    # Each refusal is told once per person: a retried request the bank refuses again is a new refusal.
    earlier = session.query(Event.id).filter(Event.instance_id == instance.id, Event.kind == BILL_REFUSED).count()
    values = {"reg": instance.registration_no, "status": status, "reason": reason, "step": element_id}
    names = {INDONESIAN: {"service": definition.name_id or instance.service_key},
             ENGLISH: {"service": definition.name_en or instance.service_key}}
    subject, body = notifications.in_both_languages(*_TEXTS[BILL_REFUSED], values, names)
    notifications.enqueue(session, ctx, [
        notifications.Message(kind=BILL_REFUSED, recipient=person.username, subject=subject, body=body,
                              email=person.email, instance_id=instance.id,
                              data={"registration_no": instance.registration_no, "element_id": element_id,
                                    "status": status},
                              dedupe_key=f"{BILL_REFUSED}:{instance.id}:{earlier}:{person.username}")
        for person in recipients])
    return True


def after_step(session: Session, ctx: EngineContext, instance: Instance, data: dict) -> None:
    """Tell the applicant (in the app and on their channel) that the bill was issued, or that it is paid — each
    once per application: the outbox's dedupe key skips the repeats of later steps."""
    if "account" not in _paths(instance):
        return
    bill = bill_of(instance, data, ctx.now())
    if bill is None or bill.status == EXPIRED:
        return
    kind = BILL_PAID if bill.status == PAID else BILL_ISSUED
    values = {"reg": instance.registration_no, "account": bill.account,
              "amount": rupiah(bill.paid_amount if kind == BILL_PAID else bill.amount),
              "deadline": notifications.local_time(ctx, bill.deadline, instance.jurisdiction)}
    names = {INDONESIAN: {"service": instance.definition.name_id or instance.service_key},
             ENGLISH: {"service": instance.definition.name_en or instance.service_key}}
    subject, body = notifications.in_both_languages(*_TEXTS[kind], values, names)
    message = notifications.Message(
        kind=kind, recipient=instance.applicant, subject=subject, body=body,
        email=notifications.applicant_email(session, instance, data), instance_id=instance.id,
        data={"registration_no": instance.registration_no, "virtual_account": bill.account, "amount": bill.amount},
        dedupe_key=f"{kind}:{instance.id}")
    route_to_applicant(session, ctx, instance.applicant, data, [message])
    notifications.enqueue(session, ctx, [message])
