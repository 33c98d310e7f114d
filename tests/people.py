"""The people and documents the API and web tests share: accounts of every role, sample PDF and PNG bytes.

Accounts get a cheap PBKDF2 hash of ``PASSWORD``: the product's scrypt costs 150 ms per account, and
``check_password_hash`` reads either, so signing in works the same.
"""

from __future__ import annotations

from werkzeug.security import generate_password_hash

from engine.storage.models import StaffGroup, User
from tests.conftest import T0

PASSWORD = "rahasia-sekali"
CHEAP_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")

# username: (roles, groups, jurisdictions, full name)
PEOPLE = {
    "admin": (["admin"], [], ["*"], "Admin Sistem"),
    "supri": (["supervisor"], [], ["sulsel", "sinjai"], "Supri Supervisor"),
    "loket": (["officer"], ["front_office"], ["sulsel"], "Front Office"),
    "vera": (["officer"], ["verifier"], ["sulsel"], "Vera Verifikator"),
    "veri2": (["officer"], ["verifier"], ["sulsel"], "Veri Dua"),
    "kadis": (["officer"], ["head_of_office"], ["sulsel"], "Kepala Dinas"),
    "sinta": (["officer"], ["regency_fisheries"], ["sinjai"], "Sinta Sinjai"),
    "bona": (["officer"], ["regency_fisheries"], ["bone"], "Bona Bone"),
    "andi": (["applicant"], [], [], "Andi Pratama"),
    "budi": (["applicant"], [], [], "Budi Santoso"),
}

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

# The file fields of the two real services' start forms.
RESEARCH_FILES = ("application_letter", "campus_recommendation", "proposal", "ktp", "statement_letter")
VESSEL_FILES = ("measurement_letter", "crew_list", "nib_document", "ktp")


def account(username: str, roles, groups=(), jurisdictions=(), full_name: str = "", active: bool = True) -> User:
    """A new account that signs in with ``PASSWORD``; the caller adds it to a session."""
    return User(username=username, password_hash=CHEAP_HASH, full_name=full_name or username, roles=list(roles),
                groups=list(groups), jurisdictions=list(jurisdictions), active=active, created_at=T0)


def list_groups(session, people: dict = PEOPLE) -> None:
    """Put the groups the people hold on the managed list (engine.people.groups), as an office's setup would."""
    for name in sorted({group for _roles, groups, _offices, _name in people.values() for group in groups}):
        if session.get(StaffGroup, name) is None:
            session.add(StaffGroup(name=name, title=name, created_at=T0))
    session.flush()


def add_people(session, people: dict) -> None:
    """Add an account for each entry of a table shaped like ``PEOPLE``, their groups on the managed list."""
    list_groups(session, people)
    for username, (roles, groups, jurisdictions, full_name) in people.items():
        session.add(account(username, roles, groups, jurisdictions, full_name))
