"""The issued permit: the applicant downloads its letter (PDF with a QR code to the public check), others cannot,
and the public check tells a genuine letter from an altered or made-up one."""

from __future__ import annotations

import re
import zlib

import pytest

from tests.samples import CHECKLIST
from tests.web.conftest import apply, open_task_id, page, text_of

pytestmark = pytest.mark.usefixtures("deployed", "people")


def _issue(visitor, db) -> int:
    application_id = apply(visitor("andi"))
    visitor("vera").post(f"/tasks/{open_task_id(db, application_id, 'Task_Verify')}",
                         {"_decision": "Setujui", "checklist": CHECKLIST})
    visitor("kadis").post(f"/tasks/{open_task_id(db, application_id, 'Task_Sign')}", {"_decision": "Tandatangani"})
    return application_id


def _pdf_text(pdf: bytes) -> str:
    """The text drawn on the pages (fpdf2 compresses each page's content stream)."""
    shown = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL):
        try:
            shown.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            continue
    return "".join(re.findall(r"\((.*?)\) ?Tj", "".join(shown))).replace("\\(", "(").replace("\\)", ")")


def test_the_applicant_downloads_the_letter_of_the_issued_permit(visitor, db):
    application_id = _issue(visitor, db)
    andi = visitor("andi")
    tree = page(andi.get(f"/applications/{application_id}"))
    (link,) = tree.cssselect(f"a[href='/applications/{application_id}/permit.pdf']")
    assert "Unduh surat izin" in link.text_content()
    response = andi.get(f"/applications/{application_id}/permit.pdf")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    assert response.data.startswith(b"%PDF-") and "attachment" in response.headers["Content-Disposition"]
    text = _pdf_text(response.data)
    permit_number = tree.cssselect(".permit")[0].text_content()
    assert "SURAT IZIN PENELITIAN" in text and f"Nomor: {permit_number}" in text
    assert "Ditandatangani secara elektronik olehKepala Dinas" in text  # the head of office who signed
    for shown in ("Andi Pratama", "Kajian mangrove pesisir Sinjai", "Universitas Hasanuddin",
                  "Permendagri No. 3 Tahun 2018"):
        assert shown in text, shown
    assert "7371010101010001" not in text and "081234567890" not in text  # no NIK, no phone on the letter
    assert re.search(r"http://localhost/permits/check/[\w.-]+", text)


def test_the_letter_is_for_those_who_may_see_the_file_and_only_once_issued(visitor, db):
    application_id = apply(visitor("andi"))
    assert visitor("andi").get(f"/applications/{application_id}/permit.pdf").status_code == 404
    issued = _issue(visitor, db)
    assert visitor("budi").get(f"/applications/{issued}/permit.pdf").status_code == 404
    assert visitor("vera").get(f"/applications/{issued}/permit.pdf").status_code == 200


def test_the_qr_address_confirms_the_permit_and_an_altered_one_does_not(visitor, db):
    application_id = _issue(visitor, db)
    letter = _pdf_text(visitor("andi").get(f"/applications/{application_id}/permit.pdf").data)
    address = re.search(r"http://localhost(/permits/check/[\w.-]+)", letter).group(1)
    anyone = visitor()
    check = anyone.get(address)
    assert check.status_code == 200
    shown = text_of(check)
    assert "Izin ini diterbitkan oleh DPMPTSP-SULSEL dan sah." in shown and "Andi Pratama" in shown
    altered = address[:-3] + ("aaa" if not address.endswith("aaa") else "bbb")
    refused = anyone.get(altered)
    assert refused.status_code == 404 and "bukan milik izin" in text_of(refused)
