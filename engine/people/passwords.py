"""Which passwords an account may have: one rule for every place a password is set (self-registration, an
administrator creating an account or resetting a password, ``lincah users add``).

A password is refused when it is
- shorter than ``MIN_PASSWORD`` characters;
- the username (or the person's name or e-mail name), or built on it — what is left without the name would be
  refused on its own (``andi2024``, ``Andi-Andi!``), in any case: the first guesses an attacker tries;
- one of the 30,000 commonest passwords of real leaks (the list zxcvbn ships, compared case-insensitively):
  ``password``, ``12345678``, ``qwertyui``, ``bismillah``…;
- still guessable in fewer than a million tries by zxcvbn's estimate (keyboard rows, repeats, dates, a dictionary
  word with a digit): the rate limits make an online guesser slow, not unable.

The answer names what is wrong and what to do (a passphrase of a few words), as ``WeakPassword`` — an
``InvalidInput`` whose ``details`` carry the message under ``password`` (a catalogue ``Text``: the pages say it in
the visitor's language) and whose ``reason`` names the rule. Why zxcvbn: it is maintained, pure Python, has no
dependencies, and ships the frequency list, so the product does not keep its own copy of a leak list.
"""

from __future__ import annotations

from functools import cache

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from engine.errors import InvalidInput
from engine.texts import N_, Text

MIN_PASSWORD = 8
# zxcvbn's score 2 and above: more than 10^6 estimated guesses.
MIN_SCORE = 2
# zxcvbn's cost grows with the length; a passphrase longer than this is not common and not short.
_ESTIMATE_UP_TO = 100
# Parts of a name shorter than this count only as the whole password: "Li" inside "kalimantan" is no weakness.
_MIN_NAME_PART = 3

TOO_SHORT = "too_short"
CONTAINS_NAME = "contains_name"
COMMON = "common"
GUESSABLE = "guessable"

# Each reason says what to do too (a passphrase of a few words); one catalogue entry each, so a page says it whole.
MESSAGES = {
    TOO_SHORT: Text(N_("The password must have at least %(num)d characters. Choose a passphrase of three or four "
                       "words that belong together only for you, such as kopi-pagi-di-pelabuhan."),
                    {"num": MIN_PASSWORD}),
    CONTAINS_NAME: Text(N_("The password must not be or contain the username (or the person's name). Choose a "
                           "passphrase of three or four words that belong together only for you, such as "
                           "kopi-pagi-di-pelabuhan.")),
    COMMON: Text(N_("This password is one of the most common ones, which attackers try first. Choose a passphrase "
                    "of three or four words that belong together only for you, such as kopi-pagi-di-pelabuhan.")),
    GUESSABLE: Text(N_("This password is too easy to guess (a keyboard row, a repeat, a date or a word with "
                       "digits). Choose a passphrase of three or four words that belong together only for you, such "
                       "as kopi-pagi-di-pelabuhan.")),
}


class WeakPassword(InvalidInput):
    """A password the policy refuses; ``reason`` is one of ``TOO_SHORT``, ``CONTAINS_NAME``, ``COMMON``,
    ``GUESSABLE``. The message under ``details["password"]`` is a ``Text``: a page says it in its language."""

    def __init__(self, reason: str, *, message: str | None = None, details: dict | None = None):
        # ``message``/``details``: when other fields of the same form are wrong too, all of them are said at once.
        super().__init__(message or Text(N_("password: %(problem)s"), {"problem": MESSAGES[reason]}),
                         details or {"password": MESSAGES[reason]})
        self.reason = reason


@cache
def _common() -> frozenset[str]:
    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def _name_parts(username: str, names) -> list[str]:
    """The username, each word of the person's name and the part of their e-mail before the @, lower-cased."""
    parts = [username]
    for name in names:
        text = (name or "").strip().lower()
        if "@" in text:
            text = text.split("@", 1)[0]
        parts.append(text)
        parts.extend(text.replace(".", " ").replace("_", " ").replace("-", " ").split())
    return [part for part in dict.fromkeys(p.strip() for p in parts) if part]


def problem(password: str, *, username: str = "", names=()) -> str | None:
    """Why ``password`` is refused for an account called ``username`` (``names``: the person's full name, e-mail),
    as one of the reasons above; None when it may be used."""
    password = password or ""
    if len(password) < MIN_PASSWORD:
        return TOO_SHORT
    lowered = password.lower()
    # Built on the name: what is left without it would be refused on its own (``andi1234``, ``Andi-Andi``). A name
    # that merely occurs inside a strong passphrase (``andi`` in ``kata-sandi-kuat``) is no weakness.
    parts = _name_parts((username or "").strip().lower(), names)
    rest = lowered
    for part in sorted(parts, key=len, reverse=True):
        if len(part) >= _MIN_NAME_PART or part == lowered:
            rest = rest.replace(part, "")
    if rest != lowered and _weak(rest, (username, *names)):
        return CONTAINS_NAME
    return COMMON if lowered in _common() else GUESSABLE if _weak(password, (username, *names)) else None


def _weak(password: str, inputs) -> bool:
    if len(password) < MIN_PASSWORD or password.lower() in _common():
        return True
    if len(password) > _ESTIMATE_UP_TO:
        return False
    return zxcvbn(password, user_inputs=[i for i in inputs if i])["score"] < MIN_SCORE


def check(password: str, *, username: str = "", names=()) -> None:
    """Raise ``WeakPassword`` when the policy refuses ``password`` (see ``problem``)."""
    reason = problem(password, username=username, names=names)
    if reason is not None:
        raise WeakPassword(reason)
