"""The bill (*tagihan retribusi*) on an application's page, for the applicant and the office alike
(``engine.casework.bills`` reads it from the data as the service declares it)."""

from __future__ import annotations

from engine.casework import bills
from engine.messaging.notifications import local_time

from ..blueprint import bp
from ..pages import ctx


@bp.app_template_global("bill_of")
def bill_of(instance, data: dict) -> dict | None:
    """What the page shows of the bill: amount in rupiah, payment code, deadline in the office's time, status."""
    bill = bills.bill_of(instance, data or {}, ctx().now())
    if bill is None:
        return None
    return {"amount": bills.rupiah(bill.amount), "account": bill.account, "status": bill.status,
            "deadline": local_time(ctx(), bill.deadline, instance.jurisdiction) if bill.deadline else None,
            "paid_amount": bills.rupiah(bill.paid_amount) if bill.paid_amount is not None else None}
