"""The issued permit: the applicant downloads the letter stored when it was issued (never drawn again), others
cannot; the page its QR code opens says what the office issued and its status, tells the very PDF issued from an
altered one, and shows a revocation with its reason."""

from __future__ import annotations

import io

import pytest
from itsdangerous import URLSafeSerializer

from engine.storage.models import Event, IssuedLetter, Task
from tests.letters import NIP, PUBLIC_URL, qr_addresses, set_up_letterhead, text_of_pdf
from tests.samples import CHECKLIST
from tests.web.conftest import apply, open_task_id, page, text_of

pytestmark = pytest.mark.usefixtures("deployed", "people")


@pytest.fixture(autouse=True)
def _letterhead(db, people):
    with db.transaction() as session:
        set_up_letterhead(session)


def sign(visitor, db, application_id: int) -> None:
    """The head of office signs on the page: the signing step's first choice when it offers choices."""
    task_id = open_task_id(db, application_id, "Task_Sign")
    with db.transaction() as session:
        choices = session.get(Task, task_id).decision_choices
    fields = {"_decision": choices[0]} if choices else {"signature_confirmed": "true"}
    assert visitor("kadis").post(f"/tasks/{task_id}", fields).status_code in (200, 302, 303)


def issue(visitor, db) -> int:
    application_id = apply(visitor("andi"))
    visitor("vera").post(f"/tasks/{open_task_id(db, application_id, 'Task_Verify')}",
                         {"_decision": "Setujui", "checklist": CHECKLIST})
    sign(visitor, db, application_id)
    return application_id


def stored(db, application_id: int) -> IssuedLetter:
    with db.transaction() as session:
        letter = session.get(IssuedLetter, application_id)
        assert letter is not None, "issuing the permit stores its letter"
        letter.pdf  # noqa: B018 - load the deferred bytes while the session is open
        return letter


def test_the_applicant_downloads_the_stored_letter(visitor, db):
    application_id = issue(visitor, db)
    andi = visitor("andi")
    tree = page(andi.get(f"/applications/{application_id}"))
    (link,) = tree.cssselect(f"a[href='/applications/{application_id}/permit.pdf']")
    assert "Unduh surat izin" in link.text_content()
    response = andi.get(f"/applications/{application_id}/permit.pdf")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    letter = stored(db, application_id)
    assert response.data == letter.pdf  # the bytes stored at issue, not drawn again
    assert andi.get(f"/applications/{application_id}/permit.pdf").data == letter.pdf
    text = text_of_pdf(response.data)
    for shown in ("SURAT IZIN PENELITIAN", letter.permit_number, "Kajian mangrove pesisir Sinjai",
                  "Kepala Dinas", f"NIP. {NIP}", "Tembusan Yth.:"):
        assert shown in text, shown
    assert "7371010101010001" not in text and "081234567890" not in text  # no NIK, no phone on the letter
    assert tree.cssselect("a.permit-verify-link")[0].get("href") == f"/verify/{letter.verify_token}"


def test_the_letter_is_for_those_who_may_see_the_file_and_only_once_issued(visitor, db):
    application_id = apply(visitor("andi"))
    assert visitor("andi").get(f"/applications/{application_id}/permit.pdf").status_code == 404
    issued = issue(visitor, db)
    assert visitor("budi").get(f"/applications/{issued}/permit.pdf").status_code == 404
    assert visitor("vera").get(f"/applications/{issued}/permit.pdf").status_code == 200


def test_the_verification_page_shows_what_was_issued_and_its_status(visitor, db):
    letter = stored(db, issue(visitor, db))
    (address,) = qr_addresses(letter.pdf)
    assert address == f"{PUBLIC_URL}/verify/{letter.verify_token}"
    shown = visitor().get(address.removeprefix(PUBLIC_URL))  # anyone, signed in or not
    assert shown.status_code == 200
    tree = page(shown)
    assert tree.cssselect("[data-status]")[0].get("data-status") == "valid"
    text = text_of(shown)
    for fact in ("Surat Izin Penelitian", letter.permit_number, "Andi Pratama", "Kajian mangrove pesisir Sinjai",
                 "Kecamatan Sinjai Timur", "Kabupaten Sinjai", "31 Agustus 2026"):
        assert fact in text, fact
    assert "7371010101010001" not in text and "andi@example.ac.id" not in text  # nothing private


def test_the_very_pdf_matches_and_one_changed_byte_does_not(visitor, db):
    letter = stored(db, issue(visitor, db))
    anyone = visitor()
    same = anyone.post(f"/verify/{letter.verify_token}", {"letter": (_file(letter.pdf), "izin.pdf")})
    assert same.status_code == 200 and page(same).cssselect("[data-check]")[0].get("data-check") == "identical"
    altered = bytearray(letter.pdf)
    altered[len(altered) // 2] ^= 0x01
    different = anyone.post(f"/verify/{letter.verify_token}", {"letter": (_file(bytes(altered)), "izin.pdf")})
    assert page(different).cssselect("[data-check]")[0].get("data-check") == "different"
    assert "BUKAN" in text_of(different)


def test_an_upload_that_is_not_a_letter_sized_file_is_refused_with_advice(visitor, db):
    letter = stored(db, issue(visitor, db))
    big = visitor().post(f"/verify/{letter.verify_token}",
                         {"letter": (_file(b"%PDF-" + b"0" * (10 * 1024 * 1024 + 1)), "besar.pdf")})
    assert big.status_code == 413 and "10 MB" in text_of(big)
    none = visitor().post(f"/verify/{letter.verify_token}", {})
    assert none.status_code == 400 and "PDF" in text_of(none)


def test_a_supervisor_revokes_with_a_reason_and_the_page_says_so(visitor, db):
    application_id = issue(visitor, db)
    letter = stored(db, application_id)
    assert not page(visitor().get(f"/verify/{letter.verify_token}")).cssselect("form.revoke")
    refused = visitor("vera").post(f"/verify/{letter.verify_token}/revoke", {"reason": "Data palsu"})
    assert refused.status_code in (302, 403)  # an officer is not a supervisor
    supri = visitor("supri")
    assert page(supri.get(f"/verify/{letter.verify_token}")).cssselect("form.revoke")
    no_reason = supri.post(f"/verify/{letter.verify_token}/revoke", {"reason": "  "})
    assert no_reason.status_code == 400 and "alasan" in text_of(no_reason).lower()
    done = supri.post(f"/verify/{letter.verify_token}/revoke",
                      {"reason": "Lokasi penelitian dipalsukan pada dokumen pendukung"})
    assert done.status_code == 302
    shown = visitor().get(f"/verify/{letter.verify_token}")
    assert page(shown).cssselect("[data-status]")[0].get("data-status") == "revoked"
    assert "Lokasi penelitian dipalsukan pada dokumen pendukung" in text_of(shown)
    with db.transaction() as session:
        (event,) = session.query(Event).filter_by(kind="letter_revoked", instance_id=application_id).all()
        assert event.actor == "supri" and event.data["reason"].startswith("Lokasi")
    # The letter itself never changes: the holder still downloads the same bytes.
    assert visitor("andi").get(f"/applications/{application_id}/permit.pdf").data == letter.pdf


def test_an_unknown_address_is_not_a_permit(visitor):
    refused = visitor().get("/verify/not-a-token")
    assert refused.status_code == 404 and "bukan milik izin" in text_of(refused)


def test_the_older_check_address_of_letters_printed_before_still_confirms(app, visitor, db):
    application_id = issue(visitor, db)
    letter = stored(db, application_id)
    token = URLSafeSerializer(app.secret_key, salt="lincah.permit-check").dumps([application_id,
                                                                                 letter.permit_number])
    check = visitor().get(f"/permits/check/{token}")
    assert check.status_code == 200 and "Andi Pratama" in text_of(check)
    assert visitor().get(f"/permits/check/{token[:-3]}aaa").status_code == 404


def _file(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)
