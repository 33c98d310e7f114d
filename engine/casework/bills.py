"""The bill (*tagihan retribusi*) of an application, as its service declares it, and the applicant's two messages
about it: the bill is issued, the payment is received.

A service says where its bill lives in the application's data with process-level ``camunda:properties`` — dotted
paths, so the diagram stays the one place that knows its variables::

    bill.amount   = retribusi.amount     (a whole number of rupiah)
    bill.account  = virtual_account      (the virtual account / payment code; the bill exists once it is set)
    bill.deadline = pay_before           (ISO 8601 with its offset, as the bank answers)
    bill.paid     = paid_amount          (set when the payment is received)

A service without ``bill.account`` has no bill: nothing is read, nothing is sent, at no cost to its steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from engine.messaging import notifications
from engine.messaging.preferences import route_to_applicant
from engine.storage.models import Instance
from engine.texts import ENGLISH, INDONESIAN, N_

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

WAITING, PAID, EXPIRED, REFUSED = "waiting", "paid", "expired", "refused"
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
    BILL_PAID: (N_("Payment for application %(reg)s received"),
                N_("Your payment of %(amount)s for application %(reg)s (%(service)s) has been received. The office "
                   "goes on with your application.")),
}


@dataclass(frozen=True)
class Bill:
    amount: int | None
    account: str
    deadline: datetime | None
    status: str  # waiting | paid | expired | refused (waiting, after a payment message was refused)
    paid_amount: int | None
    refusals: tuple = ()  # the application's events recording refused payment messages, oldest first


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
    if not isinstance(account, str | int) or isinstance(account, bool) or account == "":
        return None
    amount, paid = _at(data, paths.get("amount")), _at(data, paths.get("paid"))
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
    return Bill(amount if isinstance(amount, int) and not isinstance(amount, bool) else None, str(account),
                deadline, status, paid if isinstance(paid, int) and not isinstance(paid, bool) else None, refusals)


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
