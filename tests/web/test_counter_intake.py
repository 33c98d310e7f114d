"""Counter intake: the front office (``loket``) applies for a walk-in applicant — finds or opens their account,
sends the start form with their documents, prints a receipt whose QR code opens the public tracking page."""

from __future__ import annotations

import io
from dataclasses import replace
from urllib.parse import urlsplit

from api import create_app
from engine.casework.counter import SUBMITTED_AT_COUNTER
from engine.context import EngineContext
from engine.storage.models import Event, Instance, User
from tests import samples
from tests.letters import qr_addresses, text_of_pdf
from tests.people import PASSWORD, PDF, RESEARCH_FILES
from tests.web.conftest import Visitor, page, research_form, text_of

NIK = "7371015505900003"


def test_the_clerk_opens_an_account_applies_and_prints_the_receipt(visitor, db, ctx, deployed, people):
    loket = visitor("loket")
    assert "/counter" in {a.get("href") for a in page(loket.get("/inbox")).cssselect("nav.main-nav a")}
    missing = page(loket.post("/counter", {"action": "find", "nik": NIK}))
    assert "No account matches" in missing.text_content() or "Tidak ada akun" in missing.text_content()

    opened = loket.post("/counter", {"action": "open", "nik": NIK, "full_name": "Hasnah Daeng Ngai",
                                     "phone": "0812 3456 7891"})
    assert opened.status_code == 200, text_of(opened)
    apply_link = page(opened).cssselect(".counter-applicant a[href*='research_permit']")[0].get("href")
    assert f"applicant={NIK}" in apply_link
    with db.transaction() as session:
        user = session.query(User).filter_by(username=NIK).one()
        assert (user.roles, user.full_name, user.phone) == (["applicant"], "Hasnah Daeng Ngai", "+6281234567891")

    form = page(loket.get(apply_link))
    assert form.cssselect("#f-applicant")[0].get("value") == NIK
    sent = loket.post("/services/research_permit/apply", research_form(_applicant=NIK))
    assert sent.status_code == 302, text_of(sent)
    receipt_path = urlsplit(sent.headers["Location"]).path
    application_id = int(receipt_path.rsplit("/", 1)[1])
    assert receipt_path == f"/counter/receipt/{application_id}"
    with db.transaction() as session:
        instance = session.get(Instance, application_id)
        assert (instance.applicant, instance.jurisdiction) == (NIK, "sulsel")
        (event,) = session.query(Event).filter_by(kind=SUBMITTED_AT_COUNTER, instance_id=application_id).all()
        assert (event.actor, event.data["submitted_by"], event.data["applicant"]) == ("loket", "loket", NIK)
        registration_no = instance.registration_no

    receipt = page(loket.get(receipt_path))
    assert receipt.cssselect(".receipt-regno")[0].text_content() == registration_no
    assert receipt.cssselect(".receipt-service")[0].text_content() == "Izin Penelitian"
    documents = [li.text_content() for li in receipt.cssselect(".receipt-documents li")]
    assert sorted(d.split(" (")[0] for d in documents) == sorted(f"{name}.pdf" for name in RESEARCH_FILES)
    assert receipt.cssselect(".qr svg path"), "the QR code is drawn into the page"
    tracking = urlsplit(receipt.cssselect(".tracking-address")[0].text_content()).path

    # The same receipt as a PDF: the number, the service and every document in its text, the QR to the same page.
    pdf = loket.get(receipt.cssselect("#receipt-pdf")[0].get("href"))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    printed = " ".join(text_of_pdf(pdf.data).split())
    assert registration_no in printed.replace(" ", "") or registration_no in printed
    assert "Izin Penelitian" in printed and "Tanda Terima Permohonan" in printed
    assert all(f"{name}.pdf" in printed for name in RESEARCH_FILES)
    assert [urlsplit(address).path for address in qr_addresses(pdf.data)] == [tracking]
    assert visitor("vera").get(f"/counter/receipt/{application_id}.pdf").status_code == 403

    # Whoever scans the code sees the stage and the office, without signing in and without personal data.
    public = visitor().get(tracking)
    assert public.status_code == 200
    assert registration_no in text_of(public) and "Hasnah" not in text_of(public)
    assert visitor().get(tracking[:-1] + ("0" if tracking[-1] != "0" else "1")).status_code == 404

    # The person's own account holds the file: found again by phone at the next visit.
    again = page(loket.post("/counter", {"action": "find", "phone": "+6281234567891"}))
    assert [p.text_content().split(" (")[0] for p in again.cssselect(".counter-applicant p strong")] == [
        "Hasnah Daeng Ngai"]


def test_the_counter_refuses_bad_input_with_the_field_named(visitor, deployed, people):
    loket = visitor("loket")
    refused = loket.post("/counter", {"action": "open", "nik": "7371-01", "full_name": ""})
    assert refused.status_code == 422
    assert page(refused).cssselect(".field.invalid #c-nik")
    nothing = loket.post("/counter", {"action": "find"})
    assert nothing.status_code == 422 and page(nothing).cssselect(".field.invalid #c-nik")
    taken = loket.post("/counter", {"action": "open", "nik": NIK, "full_name": "A"})
    assert taken.status_code == 200
    twice = loket.post("/counter", {"action": "open", "nik": NIK, "full_name": "A"})
    assert twice.status_code == 422 and page(twice).cssselect(".field.invalid #c-nik")


def test_only_the_front_office_works_the_counter_and_its_receipts(visitor, db, ctx, deployed, people):
    assert visitor("vera").get("/counter").status_code == 403
    assert visitor("andi").get("/counter").status_code in (302, 403)
    loket = visitor("loket")
    loket.post("/counter", {"action": "open", "nik": NIK, "full_name": "Hasnah"})
    sent = loket.post("/services/research_permit/apply", research_form(_applicant=NIK))
    receipt_path = urlsplit(sent.headers["Location"]).path
    assert visitor("vera").get(receipt_path).status_code == 403
    # An application the applicant sent from their phone has no counter receipt.
    own = visitor("andi").post("/services/research_permit/apply", research_form())
    own_id = int(own.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    assert loket.get(f"/counter/receipt/{own_id}").status_code == 403


def test_the_receipt_points_at_the_installations_public_address(db, ctx, clock, deployed, people):
    """Paper outlives the host name the clerk's browser used: the QR code carries LINCAH_PUBLIC_URL."""
    public = EngineContext(settings=replace(ctx.settings, public_url="https://izin.example.go.id"), clock=clock)
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret"}, context=public, session_factory=db.factory)
    loket = Visitor(app.test_client())
    loket.sign_in("loket")
    loket.post("/counter", {"action": "open", "nik": NIK, "full_name": "Hasnah"})
    sent = loket.post("/services/research_permit/apply", research_form(_applicant=NIK))
    receipt = page(loket.get(urlsplit(sent.headers["Location"]).path))
    address = receipt.cssselect(".tracking-address")[0].text_content()
    assert address.startswith("https://izin.example.go.id/track/")


def test_the_counter_finds_an_account_registered_online_by_its_nik(visitor, db, deployed, people):
    online = visitor()
    taken = online.post("/register", {"full_name": "Sitti Rahma", "username": "sitti", "nik": "7307015507900002",
                                      "password": PASSWORD + "-sitti"})
    assert taken.status_code == 302, text_of(taken)
    loket = visitor("loket")
    found = page(loket.post("/counter", {"action": "find", "nik": "7307015507900002"}))
    assert [p.text_content().split(" (")[0] for p in found.cssselect(".counter-applicant p strong")] == [
        "Sitti Rahma"]
    # The same NIK cannot open a second account, online or at the counter.
    twice = visitor().post("/register", {"full_name": "Sitti R", "username": "sitti2", "nik": "7307015507900002",
                                         "password": PASSWORD + "-sitti2"})
    assert twice.status_code == 422 and page(twice).cssselect("#f-nik[aria-invalid=true]")
    at_counter = loket.post("/counter", {"action": "open", "nik": "7307015507900002", "full_name": "Sitti Rahma"})
    assert at_counter.status_code == 422
    bad = visitor().post("/register", {"full_name": "Budi", "username": "budi2", "nik": "7307 0155",
                                       "password": PASSWORD + "-budi2"})
    assert bad.status_code == 422 and "16" in text_of(bad)
    with db.transaction() as session:
        assert session.query(User).filter_by(nik="7307015507900002").one().username == "sitti"
        assert session.query(User).filter(User.username.in_(("sitti2", "budi2"))).count() == 0


def test_the_counter_over_the_api_finds_opens_applies_and_gives_the_receipt(app, db, deployed, people):
    client = app.test_client()

    def headers(username: str) -> dict:
        answer = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
        return {"Authorization": f"Bearer {answer.get_json()['token']}"}

    loket = headers("loket")
    assert client.get("/api/v1/counter/accounts", headers=loket).status_code == 422  # nothing to look up by
    opened = client.post("/api/v1/counter/accounts", headers=loket,
                         json={"nik": NIK, "full_name": "Hasnah Daeng Ngai", "phone": "0812 3456 7891"})
    assert opened.status_code == 201 and opened.get_json()["nik"] == NIK
    again = client.post("/api/v1/counter/accounts", headers=loket, json={"nik": NIK, "full_name": "Hasnah"})
    assert again.status_code == 409
    found = client.get("/api/v1/counter/accounts?phone=%2B6281234567891", headers=loket).get_json()["items"]
    assert [row["username"] for row in found] == [NIK]
    assert client.get(f"/api/v1/counter/accounts?nik={NIK}", headers=headers("vera")).status_code == 403

    files = {}
    for name in RESEARCH_FILES:
        uploaded = client.post("/api/v1/attachments", headers=loket, content_type="multipart/form-data",
                               data={"file": (io.BytesIO(PDF), f"{name}.pdf")})
        assert uploaded.status_code == 201, uploaded.get_json()
        files[name] = uploaded.get_json()
    started = client.post("/api/v1/applications", headers=loket, json={
        "service": "research_permit", "applicant": NIK, "data": samples.research_application(**files)})
    assert started.status_code == 201, started.get_json()
    application_id = started.get_json()["id"]
    receipt = client.get(f"/api/v1/counter/receipts/{application_id}", headers=loket).get_json()
    assert (receipt["applicant"], receipt["received_by"]) == (NIK, "loket")
    assert sorted(d["name"] for d in receipt["documents"]) == sorted(f"{n}.pdf" for n in RESEARCH_FILES)
    pdf = client.get(receipt["pdf"], headers=loket)
    assert pdf.mimetype == "application/pdf" and receipt["registration_no"] in text_of_pdf(pdf.data).replace(" ", "")
    assert [urlsplit(a).path for a in qr_addresses(pdf.data)] == [urlsplit(receipt["tracking_url"]).path]
    assert client.get(urlsplit(receipt["tracking_url"]).path).status_code == 200
