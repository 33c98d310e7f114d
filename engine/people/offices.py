"""Offices as their letters name them: name, address, the town letters are dated in, emblem, public address (the
QR code's verification page) and a letter number pattern per service. An office is a jurisdiction code
(``sulsel``, ``sinjai``); a code with no row yet letters as its code, so nothing stops before an admin fills it in.

The emblem is an upload: only PNG or JPEG (checked by their first bytes, not the name), at most ``MAX_EMBLEM``
bytes — it is printed on every letter and stored in the database row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import InvalidInput
from engine.storage import audit
from engine.storage.models import Office

MAX_EMBLEM = 256 * 1024
_IMAGE_TYPES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))
_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,99}")
# A number pattern may only name these, so formatting it cannot reach into Python objects.
_PLACEHOLDER = re.compile(r"\{(seq(?::0?\dd)?|year|month|roman_month)\}")
_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
_SERVICE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,199}")


@dataclass(frozen=True)
class OfficeView:
    """An office as a letter prints it."""

    code: str
    name: str
    address: str
    place: str
    public_url: str
    emblem: bytes | None
    emblem_type: str | None
    letter_numbers: dict
    supervising_office: str | None = None


def emblem_type(data: bytes) -> str:
    """The emblem's media type; ``InvalidInput`` naming the field when it is not a small PNG or JPEG."""
    if len(data) > MAX_EMBLEM:
        raise InvalidInput(f"The emblem is {len(data) // 1024} KB; upload a PNG or JPEG of at most "
                           f"{MAX_EMBLEM // 1024} KB.", {"emblem": "too large"})
    for magic, media_type in _IMAGE_TYPES:
        if data.startswith(magic):
            return media_type
    raise InvalidInput("The emblem must be a PNG or JPEG image; convert it and upload again.",
                       {"emblem": "not a PNG or JPEG"})


def check_number_pattern(pattern: str) -> str:
    """A letter number pattern such as ``503/{seq:05d}/SIPI/DPM-PTSP/{year}``; ``InvalidInput`` when it names
    anything but ``{seq}`` (required), ``{year}``, ``{month}`` or ``{roman_month}``."""
    pattern = (pattern or "").strip()
    rest = _PLACEHOLDER.sub("", pattern)
    if not pattern or "{" in rest or "}" in rest or "{seq" not in pattern or len(pattern) > 200:
        raise InvalidInput(f"Letter number pattern {pattern!r}: use {{seq}} (or {{seq:05d}}) with optional "
                           "{year}, {month} and {roman_month}, e.g. 503/{seq:05d}/SIPI/DPM-PTSP/{year}.",
                           {"letter_numbers": "invalid pattern"})
    return pattern


def format_number(pattern: str, *, seq: int, year: int, month: int) -> str:
    return check_number_pattern(pattern).format(seq=seq, year=year, month=month, roman_month=_ROMAN[month - 1])


def get(session: Session, code: str) -> OfficeView:
    """The office of a jurisdiction code; one never set up yet is named by its code alone."""
    row = session.get(Office, code)
    if row is None:
        return OfficeView(code, code, "", "", "", None, None, {})
    return OfficeView(row.code, row.name or code, row.address, row.place, row.public_url, row.emblem,
                      row.emblem_type, dict(row.letter_numbers or {}), row.supervising_office)


def all_offices(session: Session) -> list[Office]:
    return list(session.scalars(select(Office).order_by(Office.code)))


def save(session: Session, code: str, *, actor: str | None, at: datetime, name: str | None = None,
         address: str | None = None, place: str | None = None, public_url: str | None = None,
         emblem: bytes | None = None, letter_numbers: dict[str, str] | None = None,
         supervising_office: str | None = None) -> Office:
    """Create or change an office; only the values given change. ``InvalidInput`` names the field at fault."""
    if not _CODE.fullmatch(code or ""):
        raise InvalidInput(f"Office code {code!r}: use lower-case letters, digits, '_' or '-', e.g. sulsel.",
                           {"code": "invalid"})
    if public_url is not None:
        public_url = public_url.strip().rstrip("/")
        if public_url and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", public_url):
            raise InvalidInput(f"Public URL {public_url!r}: give the address citizens open, such as "
                               "https://izin.sulselprov.go.id.", {"public_url": "invalid"})
    checked_numbers = None
    if letter_numbers is not None:
        checked_numbers = {}
        for service, pattern in letter_numbers.items():
            if not _SERVICE_KEY.fullmatch(service):
                raise InvalidInput(f"Service key {service!r} is not a process id.", {"letter_numbers": "invalid"})
            checked_numbers[service] = check_number_pattern(pattern)
    if supervising_office is not None:
        supervising_office = supervising_office.strip()
        if supervising_office and (not _CODE.fullmatch(supervising_office) or supervising_office == code):
            raise InvalidInput(f"Supervising office {supervising_office!r}: give another office's code, e.g. sulsel, "
                               "or leave it empty for the default office.", {"supervising_office": "invalid"})
    media_type = emblem_type(emblem) if emblem is not None else None
    row = session.get(Office, code)
    if row is None:
        row = Office(code=code, name="", address="", place="", public_url="", letter_numbers={}, updated_at=at)
        session.add(row)
    changed = []
    for field, value in (("name", name), ("address", address), ("place", place), ("public_url", public_url)):
        if value is not None:
            setattr(row, field, value.strip()[:500])
            changed.append(field)
    if supervising_office is not None:
        row.supervising_office = supervising_office or None
        changed.append("supervising_office")
    if emblem is not None:
        row.emblem, row.emblem_type = emblem, media_type
        changed.append("emblem")
    if checked_numbers is not None:
        row.letter_numbers = {**(row.letter_numbers or {}), **checked_numbers}
        changed.append("letter_numbers")
    row.updated_at = at
    session.flush()
    audit.record(session, "office_saved", actor=actor, at=at, code=code, fields=changed)
    return row
