"""What the engine says to people, in their language: English message ids with named parameters, translated by the
project's one gettext catalogue (``engine/translations``, Babel).

The engine never imports Flask, yet its lint problems, errors and notices are read on Indonesian pages. Writing both
languages inline at every call site drifted apart — the Indonesian was often a shortened version that dropped the
specific reason (which script language, which field, which value) — so a message is written once, in English, as a
catalogue entry with ``%(name)s`` parameters, and rendered per language here. The API keeps speaking English
(``render(text, params)``); the pages ask for ``render(text, params, "id")``. The web pages use the same catalogue
through Flask-Babel (``api.web.setup``), so a translator edits one ``messages.po``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

CATALOGUE = Path(__file__).resolve().parent / "translations"
ENGLISH = "en"
INDONESIAN = "id"


def N_(text: str) -> str:  # noqa: N802 - Babel's marker for a text translated later (it extracts N_("…"))
    return text


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalogue of ``locale`` (English, the language of the ids, needs none)."""
    if locale == ENGLISH:
        return NullTranslations()
    return Translations.load(str(CATALOGUE), [locale])


def render(text: str, params: Mapping[str, object] | None = None, locale: str = ENGLISH) -> str:
    """``text`` (a message id) in ``locale`` with its ``%(name)s`` parameters filled in; an id the catalogue does not
    translate stays English rather than failing. A parameter that is a :class:`Text` itself is said in ``locale``
    too."""
    translated = translations(locale).gettext(text)
    return translated % {name: localized(value, locale) for name, value in params.items()} if params else translated


class Text(str):
    """A message as the engine says it: the English string itself (what the API, logs and existing callers read),
    remembering its catalogue id and parameters so that a page can say it in its own language.

    ``Text(N_("Task %(name)s was taken by someone else."), {"name": name})``; ``text.render("id")``. Being a
    ``str``, it goes wherever an English message went before, unchanged.
    """

    id: str
    params: dict

    def __new__(cls, text: str, params: Mapping[str, object] | None = None) -> Text:
        params = dict(params or {})
        english = super().__new__(cls, render(text, params))
        english.id, english.params = text, params
        return english

    def __reduce__(self):
        return Text, (self.id, self.params)

    def render(self, locale: str = ENGLISH) -> str:
        return render(self.id, self.params, locale)


def localized(message: object, locale: str) -> object:
    """``message`` in ``locale`` when it is a :class:`Text`; anything else (a plain English string written before
    the catalogue, a value) as it is."""
    return message.render(locale) if isinstance(message, Text) else message
