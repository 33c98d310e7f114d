"""The administrator sets up an office's letterhead and a signer's profile from the pages."""

from __future__ import annotations

import io

import pytest

from engine.demo import emblem_png
from engine.people import offices, profiles
from tests.web.conftest import text_of

pytestmark = pytest.mark.usefixtures("people")


def test_only_administrators_set_up_offices(visitor):
    assert visitor("kadis").get("/admin/offices/sulsel").status_code == 403


def test_an_administrator_sets_up_the_office_with_its_emblem(visitor, db):
    admin = visitor("admin")
    response = admin.post("/admin/offices/sulsel", {
        "name": "DPM-PTSP Provinsi Sulawesi Selatan", "address": "Jl. Bougenville No. 5", "place": "Makassar",
        "public_url": "https://izin.sulselprov.go.id",
        "letter_numbers": "research_permit=503/{seq:05d}/IP/DPM-PTSP/{year}",
        "emblem": (io.BytesIO(emblem_png()), "lambang.png")})
    assert response.status_code == 302, text_of(response)
    assert "DPM-PTSP Provinsi Sulawesi Selatan" in text_of(admin.get("/admin/offices"))
    assert admin.get("/admin/offices/sulsel/emblem").data == emblem_png()
    with db.transaction() as session:
        assert offices.get(session, "sulsel").letter_numbers == {"research_permit": "503/{seq:05d}/IP/DPM-PTSP/{year}"}


def test_an_emblem_that_is_not_an_image_is_refused_on_the_page(visitor):
    response = visitor("admin").post("/admin/offices/sulsel", {
        "name": "X", "emblem": (io.BytesIO(b"<svg onload=alert(1)>"), "lambang.png")})
    assert response.status_code == 422
    assert "PNG or JPEG" in text_of(response)


def test_a_short_nip_is_refused_on_the_profile_page_naming_the_field(visitor, db):
    admin = visitor("admin")
    response = admin.post("/admin/users/kadis/profile", {"nip": "1970031219950"})
    assert "NIP harus tepat 18 angka" in text_of(response)
    admin.english()
    response = admin.post("/admin/users/kadis/profile", {"position": "Kepala Dinas", "rank": "IV/c",
                                                          "nip": "1970031219950"})
    assert response.status_code == 422
    assert "NIP must be exactly 18 digits" in text_of(response)
    response = admin.post("/admin/users/kadis/profile", {"position": "Kepala Dinas", "rank": "IV/c",
                                                          "nip": "197003121995031002"})
    assert response.status_code == 302
    with db.transaction() as session:
        assert profiles.signer(session, "kadis").position == "Kepala Dinas"
