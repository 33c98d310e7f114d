"""What a phone needs to know about a text field: which keyboard (``inputmode``), what the browser may fill in
(``autocomplete``), and whether the field counts characters instead of cutting them.

Applicants fill the forms on phones. A phone number typed on the letter keyboard, a NIK on the full keyboard, or a
pasted research summary silently cut at ``maxlength`` are the small frictions that make people give up; the form's
JSON Schema rarely says any of this, so the field's name and format are read the way people name such fields in
Indonesian and English (``telepon``, ``hp``, ``whatsapp``, ``nik``, ``kode_pos``…). A form's ``ui:options`` still
win: an analyst can set ``autocomplete`` or ``inputMode`` on any field.
"""

from __future__ import annotations

import re

_PHONE = {"phone", "telepon", "telp", "tel", "hp", "handphone", "ponsel", "whatsapp", "wa", "mobile"}
_NUMERIC = {"nik", "nib", "npwp", "kk", "nip", "nim", "nisn"}
_POSTAL = {("postal", "code"), ("kode", "pos"), ("postcode",), ("zip",)}
_PERSON_NAMES = {"name", "nama", "full_name", "fullname", "nama_lengkap", "applicant_name", "owner_name",
                 "contact_name", "nama_pemohon"}
_ORGANISATION = {"institution", "organization", "organisation", "company", "instansi", "perusahaan", "lembaga"}
_ADDRESS = {"address", "alamat", "owner_address", "street_address"}

# Text inputs at least this long are written in sentences: they count characters rather than cut them.
LONG_TEXT = 100


def _words(name: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", name.lower()) if w]


def _last_name(path: str) -> str:
    """``crew.0.phone`` → ``phone``: items of repeatable groups are named like their fields."""
    parts = [p for p in path.split(".") if not p.isdigit()]
    return (parts[-1] if parts else path).lower()


def keyboard(path: str, schema: dict, widget: str) -> dict[str, str]:
    """``inputmode`` and ``autocomplete`` for a field of this name, format and widget (empty when nothing fits)."""
    name = _last_name(path)
    words = _words(name)
    if widget == "tel" or schema.get("format") == "phone" or _PHONE & set(words):
        return {"inputmode": "tel", "autocomplete": "tel"}
    if widget == "email" or schema.get("format") == "email" or "email" in words:
        return {"inputmode": "email", "autocomplete": "email"}
    if any(all(w in words for w in postal) for postal in _POSTAL):
        return {"inputmode": "numeric", "autocomplete": "postal-code"}
    if _NUMERIC & set(words):
        # An identity number is never the browser's to suggest: a shared family phone would offer a sibling's.
        return {"inputmode": "numeric", "autocomplete": "off"}
    if name in _PERSON_NAMES:
        return {"autocomplete": "name"}
    if _ORGANISATION & set(words):
        return {"autocomplete": "organization"}
    if name in _ADDRESS:
        return {"autocomplete": "street-address"}
    return {}


def counts_characters(schema: dict, widget: str) -> int | None:
    """The limit a live counter shows (and the server enforces) instead of a ``maxlength`` that cuts pasted text;
    ``None`` for short fields, which keep ``maxlength``."""
    limit = schema.get("maxLength")
    if not isinstance(limit, int) or isinstance(limit, bool):
        return None
    if widget == "textarea" or (widget == "text" and limit >= LONG_TEXT):
        return limit
    return None
