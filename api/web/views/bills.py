"""The bill (*tagihan retribusi*) on an application's page and on the office's task page, for the applicant and the
office alike (``engine.casework.bills`` reads it from the data as the service declares it), with the bank's payment
messages the application refused (``engine.integration.refusals``): the office follows them up, the applicant
learns the payment did not count. A bill the bank refused to issue is shown as such (``declined``), with the bank's
reason and what to do for the office, and what happens next for the applicant."""

from __future__ import annotations

from engine.casework import bills
from engine.integration.refusals import shown
from engine.messaging.notifications import local_time

from ..blueprint import bp
from ..pages import ctx


def _refusal(event) -> dict:
    data = event.data or {}
    return {"kind": event.kind, "at": event.at, "client": data.get("client") or event.actor or "-",
            "sent": shown(data.get("data") or {}), "fields": ", ".join(sorted(data.get("problems") or {})) or "-"}


@bp.app_template_global("bill_of")
def bill_of(instance, data: dict, events=()) -> dict | None:
    """What the page shows of the bill: amount in rupiah, payment code, deadline in the office's time, status, and
    the payment messages refused for it (``events``: the application's history, when the page has it)."""
    bill = bills.bill_of(instance, data or {}, ctx().now(), events or ())
    if bill is None:
        return None
    return {"amount": bills.rupiah(bill.amount), "account": bill.account, "status": bill.status,
            "deadline": local_time(ctx(), bill.deadline, instance.jurisdiction) if bill.deadline else None,
            "paid_amount": bills.rupiah(bill.paid_amount) if bill.paid_amount is not None else None,
            "refusals": [_refusal(event) for event in bill.refusals],
            # A bill the bank refused to issue: its reason is for the office (it may name the bank's own
            # settings); the applicant's page says plainly what happens next.
            "reason": bill.reason, "http_status": bill.http_status, "declined_at": bill.declined_at}
