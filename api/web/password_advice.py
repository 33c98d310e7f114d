"""The password policy's answers (``engine.people.passwords``) in the visitor's language, for every form that sets a
password: registration, an administrator creating an account or resetting a password."""

from __future__ import annotations

from flask_babel import gettext as _

from engine.people import passwords

_ADVICE = {
    passwords.TOO_SHORT: lambda: _("The password must have at least %(num)d characters.", num=passwords.MIN_PASSWORD),
    passwords.CONTAINS_NAME: lambda: _("The password must not be or contain the username (or the person's name)."),
    passwords.COMMON: lambda: _("This password is one of the most common ones, which attackers try first."),
    passwords.GUESSABLE: lambda: _("This password is too easy to guess (a keyboard row, a repeat, a date or a word "
                                   "with digits)."),
}


def hint() -> str:
    """What a password field says before anything is typed."""
    return _("At least %(num)d characters; not your username and not a common password. A few words that belong "
             "together only for you are easy to remember and hard to guess.", num=passwords.MIN_PASSWORD)


def message(reason: str | None) -> str:
    """Why the password is refused, and what to do instead."""
    why = _ADVICE.get(reason or "", _ADVICE[passwords.TOO_SHORT])()
    return why + " " + _("Choose a passphrase of three or four words, such as kopi-pagi-di-pelabuhan.")


def for_error(error) -> str:
    """The message for an ``InvalidInput`` about the password (a ``WeakPassword`` says which rule it broke)."""
    return message(getattr(error, "reason", None))
