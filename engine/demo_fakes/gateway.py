"""A fake payment gateway of a regional bank: virtual-account bills for *retribusi*, and the bank's callback.

- ``POST /bills`` (``Authorization: Bearer <token>``; JSON ``reference``, ``amount``, ``payer_nik``,
  ``payer_name``, ``description``, ``expires_at``) → 201 with ``bill_id``, ``virtual_account``, ``amount``,
  ``expires_at``, ``status``. The same ``reference`` again (a retry after a lost answer) gets the same bill, 200.
- ``GET /bills/{id}`` → the bill; ``GET /`` → a page listing the bills with a *Bayar* button each (the demo's
  stand-in for a citizen paying at an ATM or by QRIS).
- ``POST /bills/{id}/pay`` → the bill is paid, and the gateway calls Lincah back as a bank does:
  ``POST {lincah}/engine-rest/message`` with ``payment_received``, ``businessKey`` = the bill's reference (the
  registration number) and ``paid_amount``, ``payment_ref``, ``paid_at``, signed in as an API client (HTTP Basic).
  The answer says how Lincah answered (``callback_status``); ``POST /bills/{id}/callback`` sends it again.
- A bank may refuse to issue a bill (a payer it has blocked, a merchant account it suspended): after
  :meth:`FakeGateway.refuse` ``POST /bills`` answers that status with ``{"error": reason}`` until :meth:`accept`.
"""

from __future__ import annotations

import base64
import html
import json
import threading
import urllib.error
import urllib.request
from datetime import UTC, datetime
from http import HTTPStatus

from engine.demo_fakes.server import FakeServer, JsonHandler

MESSAGE = "payment_received"


class _Handler(JsonHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        fake: FakeGateway = self.server.fake
        if self.path in ("/", "/bills"):
            self.answer(HTTPStatus.OK, fake.page().encode(), "text/html; charset=utf-8")
            return
        bill = fake.bill(self.path.removeprefix("/bills/"))
        self.answer(HTTPStatus.OK, bill) if bill else self.answer(HTTPStatus.NOT_FOUND, {"error": "no such bill"})

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        fake: FakeGateway = self.server.fake
        if self.path == "/bills":
            if self.headers.get("Authorization") != f"Bearer {fake.token}":
                self.answer(HTTPStatus.UNAUTHORIZED, {"error": "invalid merchant token"})
                return
            status, value = fake.refusal or fake.issue(self.body())
            self.answer(status, value)
            return
        parts = self.path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "bills" and parts[2] in ("pay", "callback"):
            bill = fake.pay(parts[1]) if parts[2] == "pay" else fake.call_back(parts[1])
            if bill is None:
                self.answer(HTTPStatus.NOT_FOUND, {"error": "no such bill"})
            elif "text/html" in (self.headers.get("Accept") or "") or self.headers.get("Content-Type", "").startswith(
                    "application/x-www-form-urlencoded"):
                self.send_response(HTTPStatus.SEE_OTHER)
                self.send_header("Location", "/")
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self.answer(HTTPStatus.OK, bill)
            return
        self.answer(HTTPStatus.NOT_FOUND, {"error": "unknown path"})


class FakeGateway(FakeServer):
    """``token``: what Lincah's connector must send (``LINCAH_SECRET_PAYMENT_GATEWAY_TOKEN``); ``lincah_url``,
    ``client`` and ``secret``: where and as which API client the callback goes."""

    handler = _Handler

    def __init__(self, token: str, lincah_url: str = "", client: str = "", secret: str = "", port: int = 0):
        super().__init__(port)
        self.token, self.lincah_url, self.client, self.secret = token, lincah_url.rstrip("/"), client, secret
        self.bills: dict[str, dict] = {}
        self.refusal: tuple[int, dict] | None = None
        self._lock = threading.Lock()

    def refuse(self, status: int, reason: str) -> None:
        """Refuse every bill request from now on with ``status`` and ``reason``, as a bank does."""
        self.refusal = (status, {"error": reason})

    def accept(self) -> None:
        self.refusal = None

    def issue(self, body: dict) -> tuple[int, dict]:
        reference, amount = body.get("reference"), body.get("amount")
        if not isinstance(reference, str) or not reference or type(amount) is not int or amount <= 0:
            return HTTPStatus.BAD_REQUEST, {"error": "reference (text) and amount (a whole number of rupiah, more "
                                                     "than 0) are required"}
        with self._lock:
            for bill in self.bills.values():
                if bill["reference"] == reference:
                    return HTTPStatus.OK, dict(bill)
            number = len(self.bills) + 1
            bill = {"bill_id": f"BILL-{number:06d}", "virtual_account": f"8808{number:012d}",
                    "reference": reference, "amount": amount, "payer_nik": body.get("payer_nik"),
                    "payer_name": body.get("payer_name"), "description": body.get("description"),
                    "expires_at": body.get("expires_at"), "status": "unpaid", "callback_status": None}
            self.bills[bill["bill_id"]] = bill
            return HTTPStatus.CREATED, dict(bill)

    def bill(self, bill_id: str) -> dict | None:
        with self._lock:
            found = self.bills.get(bill_id)
            return dict(found) if found else None

    def pay(self, bill_id: str) -> dict | None:
        """Pay the bill (once) and call Lincah back; the bill as it is afterwards."""
        with self._lock:
            bill = self.bills.get(bill_id)
            if bill is None:
                return None
            if bill["status"] != "paid":
                bill.update(status="paid", paid_at=datetime.now(UTC).isoformat(timespec="seconds"),
                            payment_ref=f"PAY-{bill_id}")
        return self.call_back(bill_id)

    def call_back(self, bill_id: str) -> dict | None:
        """Tell Lincah the bill is paid (again, when asked): ``POST /engine-rest/message``."""
        bill = self.bill(bill_id)
        if bill is None or bill["status"] != "paid":
            return bill
        body = {"messageName": MESSAGE, "businessKey": bill["reference"], "processVariables": {
            "paid_amount": {"value": bill["amount"], "type": "Long"},
            "payment_ref": {"value": bill["payment_ref"], "type": "String"},
            "paid_at": {"value": bill["paid_at"], "type": "String"}}}
        credentials = base64.b64encode(f"{self.client}:{self.secret}".encode()).decode()
        request = urllib.request.Request(f"{self.lincah_url}/engine-rest/message", data=json.dumps(body).encode(),
                                         method="POST", headers={"Content-Type": "application/json",
                                                                 "Authorization": f"Basic {credentials}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - Lincah's own URL
                status, text = response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode("utf-8", "replace")
        except OSError as exc:
            status, text = None, str(exc)
        with self._lock:
            self.bills[bill_id].update(callback_status=status, callback_answer=text[:2000])
            return dict(self.bills[bill_id])

    def page(self) -> str:
        rows = []
        with self._lock:
            bills = [dict(b) for b in self.bills.values()]
        for bill in bills:
            pay = (f'<form method="post" action="/bills/{html.escape(bill["bill_id"])}/pay">'
                   '<button>Bayar</button></form>') if bill["status"] != "paid" else html.escape(
                f"lunas, callback {bill['callback_status']}")
            cells = "".join(f"<td>{html.escape(str(bill.get(key) or ''))}</td>" for key in (
                "bill_id", "virtual_account", "reference", "payer_name", "amount", "expires_at"))
            rows.append(f"<tr>{cells}<td>{pay}</td></tr>")
        return ("<!doctype html><html lang='id'><meta charset='utf-8'><title>Bank (tiruan) — tagihan retribusi"
                "</title><h1>Tagihan retribusi (gateway tiruan)</h1><table border='1' cellpadding='4'><tr>"
                "<th>Tagihan</th><th>Virtual account</th><th>No. registrasi</th><th>Pembayar</th><th>Jumlah (Rp)</th>"
                "<th>Batas bayar</th><th></th></tr>" + "".join(rows) + "</table></html>")
