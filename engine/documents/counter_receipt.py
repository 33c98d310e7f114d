"""The counter's receipt (*tanda terima*) as a PDF: what a walk-in applicant takes home — the registration number,
the service, the documents the office received, who received them and when, and a QR code to the public tracking
page. Laid out by the letter renderer (bundled fonts, bounded rendering) from the engine's own template, so it
prints the same from every clerk's browser and can be archived or sent to the applicant."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.documents import letter_rendering
from engine.services.letter_templates import LetterFiles

_HTML = """<!DOCTYPE html>
<html lang="id"><head><meta charset="utf-8"><title>Tanda terima {{ registration_no }}</title></head>
<body>
<div class="kop">
  {% if office.emblem %}<img class="emblem" src="{{ office.emblem }}" alt="Lambang">{% endif %}
  <div><p class="office">{{ office.name }}</p><p class="address">{{ office.address }}</p></div>
</div>
<h1>Tanda Terima Permohonan <span class="en">Application receipt</span></h1>
<table class="facts">
  <tr><td>Nomor registrasi <span class="en">Registration number</span></td>
    <td class="regno">{{ registration_no }}</td></tr>
  <tr><td>Layanan <span class="en">Service</span></td><td>{{ service }}</td></tr>
  <tr><td>Pemohon <span class="en">Applicant</span></td><td>{{ applicant }}</td></tr>
  <tr><td>Diterima <span class="en">Received</span></td><td>{{ received_at }}</td></tr>
  <tr><td>Diterima oleh <span class="en">Received by</span></td><td>{{ clerk }}</td></tr>
</table>
<h2>Dokumen yang diterima <span class="en">Documents received</span></h2>
<ol class="documents">
  {% for name, size in documents %}<li>{{ name }} ({{ size }})</li>{% else %}<li>Tidak ada / None</li>{% endfor %}
</ol>
<div class="track">
  <img class="qr" src="{{ qr }}" alt="Kode QR">
  <p>Pindai kode atau buka alamat ini untuk mengikuti permohonan:<br>
  <span class="en">Scan the code or open this address to follow the application:</span><br>
  <span class="address-link">{{ tracking_address }}</span></p>
</div>
</body></html>
"""

_CSS = """
@page { size: A5; margin: 12mm; }
body { font-size: 10pt; }
.kop { display: flex; gap: 4mm; align-items: center; border-bottom: 1.5pt solid #000; padding-bottom: 2mm; }
.emblem { height: 16mm; }
.office { font-weight: 700; font-size: 12pt; margin: 0; }
.address { margin: 0; font-size: 9pt; }
h1 { font-size: 13pt; margin: 5mm 0 3mm; }
h2 { font-size: 11pt; margin: 4mm 0 2mm; }
.en { display: block; font-size: 8pt; font-weight: 400; color: #444; }
.facts td { padding: 1mm 2mm 1mm 0; vertical-align: top; }
.regno { font-weight: 700; font-size: 12pt; word-break: break-all; }
.track { display: flex; gap: 4mm; align-items: center; margin-top: 5mm; }
.qr { width: 32mm; height: 32mm; }
.address-link { word-break: break-all; font-size: 8pt; }
"""

RECEIPT = LetterFiles(origin="lincah:counter_receipt", html=_HTML, css=_CSS)


@dataclass
class ReceiptPage:
    """What the receipt prints, in words (dates and sizes already written for people)."""

    registration_no: str
    service: str
    applicant: str
    received_at: str
    clerk: str
    tracking_address: str
    office_name: str
    office_address: str = ""
    office_emblem: str = ""  # a data: URL, or empty
    documents: list[tuple[str, str]] = field(default_factory=list)  # (file name, size in words)


def render(page: ReceiptPage) -> bytes:
    """The receipt as PDF bytes (A5)."""
    return letter_rendering.render_pdf(RECEIPT, {
        "registration_no": page.registration_no, "service": page.service, "applicant": page.applicant,
        "received_at": page.received_at, "clerk": page.clerk, "documents": page.documents,
        "tracking_address": page.tracking_address, "qr": letter_rendering.qr_data_url(page.tracking_address),
        "office": {"name": page.office_name, "address": page.office_address, "emblem": page.office_emblem},
    })
