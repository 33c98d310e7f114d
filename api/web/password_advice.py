"""The password policy (``engine.people.passwords``) on every form that sets a password — registration, an
administrator creating an account or resetting a password: its hint, and its refusal in the visitor's language (the
engine's own message, from the catalogue, so the page gives the same reason as the API)."""

from __future__ import annotations

from flask_babel import gettext as _

from engine.people import passwords
from engine.texts import localized

from . import i18n


def hint() -> str:
    """What a password field says before anything is typed."""
    return _("At least %(num)d characters; not your username and not a common password. A few words that belong "
             "together only for you are easy to remember and hard to guess.", num=passwords.MIN_PASSWORD)


def for_error(error) -> str:
    """Why the password is refused and what to do instead: the refusal's ``details["password"]`` (a ``Text``) in the
    page's language."""
    details = error.details if isinstance(error.details, dict) else {}
    return str(localized(details.get("password") or error.message, i18n.lang()))
