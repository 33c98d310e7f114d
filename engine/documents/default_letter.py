"""The letter of a service deployed without a template of its own: the kop surat, title and number, holder, the
start form's own fields titled as the form titles them, validity, signature block, tembusan, QR code and footer —
the same layout the bundled services' templates follow (``processes/letters``)."""

from __future__ import annotations

from engine.services.letter_templates import LetterFiles

HTML = """<!DOCTYPE html>
<html lang="id"><head><meta charset="utf-8"><title>{{ permit.title }} {{ permit.number }}</title></head>
<body>
<div class="kop">
  <div class="emblem">{% if office.emblem %}<img src="{{ office.emblem }}" alt="Lambang">{% endif %}</div>
  <div class="heading"><p class="office">{{ office.name }}</p><p class="address">{{ office.address }}</p></div>
</div>
<h1>{{ permit.title }}</h1>
<p class="number">Nomor: {{ permit.number }}</p>
{% if permit.legal_basis %}<p>Dasar: {{ permit.legal_basis }}.</p>{% endif %}
<table class="facts">
  <tr><td class="label">Diberikan kepada</td><td class="colon">:</td><td>{{ holder }}</td></tr>
  <tr><td class="label">Nomor registrasi</td><td class="colon">:</td><td>{{ permit.registration_no }}</td></tr>
  {% for label, value in details %}
  <tr><td class="label">{{ label }}</td><td class="colon">:</td><td>{{ value }}</td></tr>
  {% endfor %}
  {% if valid_until %}<tr><td class="label">Berlaku sampai dengan</td><td class="colon">:</td>
  <td>{{ valid_until }}</td></tr>{% endif %}
</table>
<div class="signature">
  <div class="qr"><img src="{{ qr }}" alt="Kode QR verifikasi"></div>
  <div class="block">
    <p>{{ place_date }}</p>
    {% if permit.on_behalf %}<p>{{ permit.on_behalf }}</p>{% endif %}
    <p>{{ signer.position }}</p>
    <p class="esign">Ditandatangani secara elektronik</p>
    <p class="name">{{ signer.name }}</p>
    {% if signer.rank %}<p>{{ signer.rank }}</p>{% endif %}
    {% if signer.nip %}<p>NIP. {{ signer.nip }}</p>{% endif %}
  </div>
</div>
{% if copies %}<div class="copies">Tembusan Yth.:<ol>{% for copy in copies %}<li>{{ copy }}</li>{% endfor %}</ol>
</div>{% endif %}
<div class="footer">Dokumen ini ditandatangani secara elektronik. Keasliannya dapat diperiksa dengan memindai kode QR
atau membuka {{ verify_url }}</div>
</body></html>
"""

CSS = """
.kop { border-bottom: 3px double #000; padding-bottom: 2mm; margin-bottom: 6mm; display: table; width: 100%; }
.kop .emblem { display: table-cell; width: 24mm; vertical-align: middle; }
.kop .emblem img { width: 20mm; }
.kop .heading { display: table-cell; text-align: center; vertical-align: middle; }
.kop .office { font-size: 14pt; font-weight: 700; text-transform: uppercase; margin: 0; text-align: center; }
.kop .address { font-size: 9pt; margin: 1mm 0 0; text-align: center; }
h1 { font-size: 13pt; text-align: center; text-decoration: underline; margin: 0; text-transform: uppercase; }
.number { text-align: center; margin: 1mm 0 6mm; }
table.facts { border-collapse: collapse; width: 100%; }
table.facts td { vertical-align: top; padding: 0.8mm 0; }
table.facts td.label { width: 52mm; }
table.facts td.colon { width: 4mm; }
.signature { display: table; width: 100%; margin-top: 8mm; page-break-inside: avoid; }
.signature .qr { display: table-cell; width: 45%; vertical-align: bottom; }
.signature .qr img { width: 30mm; height: 30mm; }
.signature .block { display: table-cell; padding-left: 8mm; }
.signature .block p { margin: 0; }
.signature .esign { margin: 4mm 0; font-style: italic; font-size: 9pt; }
.signature .name { font-weight: 700; text-decoration: underline; }
.copies { margin-top: 8mm; font-size: 10pt; }
.footer { margin-top: 6mm; border-top: 1px solid #555; padding-top: 2mm; font-size: 8pt; }
"""

FILES = LetterFiles("engine:default_letter", HTML, CSS)
