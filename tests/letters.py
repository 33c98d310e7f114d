"""Reading an issued letter as a person would: its text (pypdf) and the address its QR code holds (the first page
rendered by pdfium, the code found and decoded by zxing-cpp)."""

from __future__ import annotations

import io

import pypdf
import pypdfium2
import zxingcpp

from engine.demo import emblem_png
from engine.people import offices, profiles
from tests.conftest import T0

PUBLIC_URL = "https://izin.sulselprov.go.id"
NIP = "197003121995031002"


def text_of_pdf(pdf: bytes) -> str:
    """Every page's text, whitespace collapsed."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def page_image(pdf: bytes, scale: float = 3.0):
    """Page 1 as a PIL image."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return document[0].render(scale=scale).to_pil()
    finally:
        document.close()


def qr_addresses(pdf: bytes) -> list[str]:
    """What the QR codes on page 1 say."""
    found = zxingcpp.read_barcodes(page_image(pdf))
    return [code.text for code in found if code.format == zxingcpp.BarcodeFormat.QRCode]


def set_up_letterhead(session) -> None:
    """The province office's kop surat and the head of office's signature block."""
    offices.save(session, "sulsel", actor="admin", at=T0,
                 name="Dinas Penanaman Modal dan PTSP Provinsi Sulawesi Selatan",
                 address="Jl. Bougenville No. 5, Makassar 90231", place="Makassar", public_url=PUBLIC_URL,
                 emblem=emblem_png())
    profiles.save(session, "kadis", actor="admin", at=T0, position="Kepala Dinas",
                  rank="Pembina Utama Muda (IV/c)", nip=NIP)
