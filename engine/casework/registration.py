"""Registration numbers (*nomor registrasi*): ``{office}/{service}/{yyyy}/{seq:05d}`` by default.

The sequence is per service per year and is taken inside the caller's transaction with a row-level increment
(``UPDATE … SET last_seq = last_seq + 1 … RETURNING``), so two applications started at the same moment can never
get the same number, on PostgreSQL (row lock) or SQLite (single writer).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.config import Settings
from engine.storage.models import Instance, RegistrationCounter

# A number already on a file is skipped rather than issued twice; more than this many in a row means the pattern
# cannot tell files apart (it lacks {seq}), which is the installation's error to fix, not a loop to run forever.
_MAX_SKIPPED = 10_000


def next_sequence(session: Session, service_key: str, year: int) -> int:
    for _ in range(3):
        seq = session.execute(
            update(RegistrationCounter)
            .where(RegistrationCounter.service_key == service_key, RegistrationCounter.year == year)
            .values(last_seq=RegistrationCounter.last_seq + 1)
            .returning(RegistrationCounter.last_seq)
        ).scalar()
        if seq is not None:
            return seq
        try:
            with session.begin_nested():
                session.add(RegistrationCounter(service_key=service_key, year=year, last_seq=1))
                session.flush()
            return 1
        except IntegrityError:
            continue  # another transaction created the counter first: increment it instead
    raise RuntimeError(f"could not allocate a registration number for {service_key}/{year}")


def format_number(settings: Settings, *, service_code: str, year: int, seq: int, jurisdiction: str) -> str:
    return settings.registration_pattern.format(
        office=settings.office_code, service=service_code, yyyy=year, seq=seq, jurisdiction=jurisdiction)


def allocate(session: Session, settings: Settings, *, service_key: str, service_code: str, jurisdiction: str,
             at: datetime) -> tuple[str, int, int]:
    """Return ``(registration_no, seq, year)``; the year is the office's local year.

    The sequence belongs to the code the number shows (process property ``code``, else the service key): two
    services sharing a code — a regency's copy of the province's service — share its sequence, so their numbers
    never collide. A number some file already holds (one counted under the service key before the service had a
    code, or a pattern without ``{service}``) is skipped."""
    year = at.astimezone(ZoneInfo(settings.timezone)).year
    for _ in range(_MAX_SKIPPED):
        seq = next_sequence(session, service_code or service_key, year)
        number = format_number(settings, service_code=service_code, year=year, seq=seq, jurisdiction=jurisdiction)
        if session.execute(select(Instance.id).where(Instance.registration_no == number).limit(1)).first() is None:
            return number, seq, year
    raise RuntimeError(f"registration pattern {settings.registration_pattern!r} repeats its numbers for {service_code}")
