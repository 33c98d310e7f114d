"""The fake registry and bank behave as the real systems do where Lincah depends on it: the registry answers 404
for a NIK it does not know, the bank refuses a wrong merchant token, gives the same bill for the same reference
(a retry after a lost answer never bills twice), and its bills page shows what payers typed as text, not markup."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from engine.demo_fakes import PEOPLE, FakeGateway, FakeRegistry


def _call(method: str, url: str, body=None, headers=None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_the_registry_knows_the_demo_people_and_not_a_nik_ending_in_0000():
    with FakeRegistry() as registry:
        status, body = _call("GET", f"{registry.url}/nik/7307010101010002")
        assert (status, json.loads(body)["name"]) == (200, PEOPLE["7307010101010002"]["name"])
        assert _call("GET", f"{registry.url}/nik/7307010101990000")[0] == 404
        assert _call("GET", f"{registry.url}/nik/12")[0] == 404
    with FakeRegistry(token="t0k") as guarded:
        assert _call("GET", f"{guarded.url}/nik/7307010101010002")[0] == 401


def test_the_bank_bills_once_per_reference_and_only_for_its_merchant():
    bill = {"reference": "DPMPTSP-SULSEL/x/2026/00001", "amount": 150000, "payer_name": "Andi"}
    with FakeGateway("merchant") as gateway:
        assert _call("POST", f"{gateway.url}/bills", bill, {"Authorization": "Bearer wrong"})[0] == 401
        first = _call("POST", f"{gateway.url}/bills", bill, {"Authorization": "Bearer merchant"})
        again = _call("POST", f"{gateway.url}/bills", bill, {"Authorization": "Bearer merchant"})
        assert (first[0], again[0]) == (201, 200)
        assert json.loads(first[1])["bill_id"] == json.loads(again[1])["bill_id"]
        refused = _call("POST", f"{gateway.url}/bills", {**bill, "amount": 0}, {"Authorization": "Bearer merchant"})
        assert refused[0] == 400 and len(gateway.bills) == 1


def test_the_bills_page_escapes_what_payers_typed_and_a_callback_nobody_hears_is_recorded():
    with FakeGateway("merchant", lincah_url="http://127.0.0.1:9", client="bank", secret="s") as gateway:
        _call("POST", f"{gateway.url}/bills", {"reference": "R-1", "amount": 5, "payer_name": "<script>x</script>"},
              {"Authorization": "Bearer merchant"})
        page = _call("GET", f"{gateway.url}/")[1].decode()
        assert "<script>x" not in page and "&lt;script&gt;x" in page
        status, body = _call("POST", f"{gateway.url}/bills/BILL-000001/pay", {})
        paid = json.loads(body)
        assert (status, paid["status"], paid["callback_status"]) == (200, "paid", None)
        assert paid["callback_answer"]  # why Lincah was not told (connection refused)
