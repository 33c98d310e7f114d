"""User accounts: roles, candidate groups and jurisdictions; passwords stored only as salted hashes (scrypt), and
only passwords ``engine.people.passwords`` accepts."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from engine.errors import Conflict, InvalidInput
from engine.forms.schemas import EMAIL_ADVICE, looks_like_email
from engine.people import passwords
from engine.people.access import ROLES, Actor
from engine.storage import audit
from engine.storage.models import User
from engine.texts import N_, Text

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
# The NIK (Nomor Induk Kependudukan) on the KTP: 16 digits.
NIK = re.compile(r"\d{16}")
NIK_ADVICE = Text(N_("The NIK is the 16 digits on the KTP, without spaces."))
NIK_TAKEN = Text(N_("This NIK belongs to an existing account."))
MIN_PASSWORD = passwords.MIN_PASSWORD
# A hash to compare against when the user does not exist, so a wrong username costs as much time as a wrong
# password and does not reveal which usernames exist.
_DUMMY_HASH = generate_password_hash("lincah-dummy-password")


def valid_username(username: str) -> bool:
    """Whether ``create`` takes this username (it is stripped and lower-cased first)."""
    return bool(_USERNAME.match((username or "").strip().lower()))


def _clean_list(values) -> list[str]:
    return sorted({v.strip() for v in values or [] if v and v.strip()})


def create(session: Session, *, username: str, password: str, roles, groups=(), jurisdictions=(),
           full_name: str = "", email: str | None = None, actor: str | None = None, at=None,
           institution_code: str | None = None, nik: str | None = None) -> User:
    username = (username or "").strip().lower()
    nik = "".join((nik or "").split()) or None
    problems = {}
    if nik is not None and not NIK.fullmatch(nik):
        problems["nik"] = NIK_ADVICE
    if not valid_username(username):
        problems["username"] = Text(N_("Use 2–63 lower-case letters, digits, '.', '_' or '-', starting with a letter "
                                       "or digit."))
    weak = passwords.problem(password, username=username, names=(full_name, email))
    if weak is not None:
        problems["password"] = passwords.MESSAGES[weak]
    if email and not looks_like_email(email):
        problems["email"] = EMAIL_ADVICE
    roles = _clean_list(roles)
    unknown = [r for r in roles if r not in ROLES]
    if not roles or unknown:
        problems["roles"] = Text(N_("Choose roles from: %(roles)s."), {"roles": ", ".join(ROLES)})
    if problems:
        said = [Text(N_("%(field)s: %(problem)s"), {"field": k, "problem": v}) for k, v in problems.items()]
        while len(said) > 1:  # "a; b; c", each problem in the reader's language
            said[-2:] = [Text(N_("%(earlier)s; %(later)s"), {"earlier": said[-2], "later": said[-1]})]
        message = Text(N_("The user cannot be created: %(problems)s"), {"problems": said[0]})
        if weak is not None:
            raise passwords.WeakPassword(weak, message=message, details=problems)
        raise InvalidInput(message, problems)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(Text(N_("The username %(username)s is taken. Choose another."), {"username": repr(username)}))
    if nik is not None and session.scalar(select(User.id).where(User.nik == nik)) is not None:
        raise Conflict(Text(N_("An account with this NIK exists already. Sign in with it, or use \"Forgot password\" "
                               "if you cannot.")), {"nik": NIK_TAKEN})
    user = User(username=username, password_hash=generate_password_hash(password), full_name=full_name or username,
                email=email, roles=roles, groups=_clean_list(groups), jurisdictions=_clean_list(jurisdictions),
                active=True, created_at=at, institution_code=institution_code or None, nik=nik)
    session.add(user)
    session.flush()
    audit.record(session, "user_created", actor=actor, at=at, username=username, roles=roles,
                 groups=user.groups, jurisdictions=user.jurisdictions,
                 **({"institution": user.institution_code} if user.institution_code else {}))
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None (same cost whether or not the user exists)."""
    user = session.scalar(select(User).where(User.username == (username or "").strip().lower()))
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    return user if check_password_hash(user.password_hash, password or "") else None


def by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def actor_of(user: User) -> Actor:
    return Actor.of(user.username, user.roles, user.groups, user.jurisdictions, user.full_name, user.institution_code)
