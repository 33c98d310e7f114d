"""Valid form data for the two real services, as an applicant and officers would submit it."""

from __future__ import annotations


def attachment(name: str = "dokumen.pdf", id_: str = "att-1") -> dict:
    return {"id": id_, "name": name, "size": 20480, "content_type": "application/pdf"}


def research_application(**overrides) -> dict:
    data = {
        "applicant_name": "Andi Pratama",
        "nik": "7371010101010001",
        "email": "andi@example.ac.id",
        "phone": "081234567890",
        "applicant_category": "student",
        "student_id": "H071201001",
        "institution": "Universitas Hasanuddin",
        "research_title": "Kajian mangrove pesisir Sinjai",
        "research_purpose": "Penyusunan skripsi sarjana",
        "location_regency": "sinjai",
        "location_detail": "Kecamatan Sinjai Timur",
        "start_date": "2026-07-01",
        "end_date": "2026-08-31",
        "research_method": "Survei lapangan dan wawancara",
        "application_letter": attachment("surat.pdf", "att-1"),
        "campus_recommendation": attachment("rekomendasi.pdf", "att-2"),
        "proposal": attachment("proposal.pdf", "att-3"),
        "ktp": attachment("ktp.pdf", "att-4"),
        "statement_letter": attachment("pernyataan.pdf", "att-5"),
        "declaration": True,
    }
    data.update(overrides)
    return data


def vessel_application(home_regency: str = "sinjai", **overrides) -> dict:
    data = {
        "owner_type": "individual",
        "owner_name": "Daeng Rahman",
        "nik": "7307010101010002",
        "nib": "1234567890123",
        "owner_address": "Jl. Pelabuhan 1, Sinjai",
        "phone": "081298765432",
        "vessel_name": "KM Bintang Laut",
        "gross_tonnage": 12,
        "home_regency": home_regency,
        "port_base": "PPI Lappa",
        "fishing_gear": "handline",
        "crew_count": 6,
        "measurement_letter": attachment("surat_ukur.pdf", "att-11"),
        "crew_list": attachment("abk.pdf", "att-12"),
        "nib_document": attachment("nib.pdf", "att-13"),
        "ktp": attachment("ktp.pdf", "att-14"),
        "declaration": True,
    }
    data.update(overrides)
    return data


INSPECTION = {"inspection_date": "2026-06-03", "measured_gt": 12, "findings": "Kapal sesuai dokumen"}
SIGNATURE = {"note": "Draf sesuai"}
SIGN = "Tandatangani"  # the signing step's approving choice (the others: return to the verifier, refuse)
REVISION = {"response_note": "Dokumen sudah diperbaiki"}


# The research permit's verification with every document of the checklist ticked: approving needs it complete
# (``x-required-for`` in forms/research_permit/verify.json).
CHECKLIST = ["application_letter", "campus_recommendation", "proposal", "ktp", "ktm", "statement_letter"]
VERIFIED = {"checklist": CHECKLIST}
