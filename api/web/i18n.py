"""Languages of the web pages: Bahasa Indonesia first, English second.

Texts in the code and templates are English message ids translated by the catalogue in ``engine/translations``
(Flask-Babel); the chosen language lives in a long-lived cookie so it survives signing out. What the BPMN and forms
carry in both languages (service names, descriptions, requirements: ``{"id": …, "en": …}``) is picked here, and
dates, times and numbers are written the way the chosen locale writes them (``2 Jun 2026 09.05 WITA``).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_request_context, request
from flask_babel import format_date, format_decimal, format_time, get_locale, ngettext
from flask_babel import gettext as _

from engine.sla import clocks

LANGUAGES = {"id": "Bahasa Indonesia", "en": "English"}
DEFAULT_LANGUAGE = "id"
COOKIE = "lincah_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def select_locale() -> str:
    if has_request_context():
        chosen = request.cookies.get(COOKIE)
        if chosen in LANGUAGES:
            return chosen
    return DEFAULT_LANGUAGE


def lang() -> str:
    locale = get_locale()
    return locale.language if locale is not None and locale.language in LANGUAGES else DEFAULT_LANGUAGE


def pick(texts, default: str = ""):
    """The chosen language's entry of ``{"id": …, "en": …}`` (falling back to Indonesian, then to any)."""
    if not isinstance(texts, dict):
        return texts if texts not in (None, "") else default
    for code in (lang(), DEFAULT_LANGUAGE, *texts):
        value = texts.get(code)
        if value not in (None, "", []):
            return value
    return default


def service_name(definition) -> str:
    """A service's name from its BPMN (``name.id`` / ``name.en``) in the chosen language."""
    names = ((definition.meta or {}).get("process") or {}).get("names") or {
        "id": definition.name_id, "en": definition.name_en}
    return pick(names, definition.key)


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.extensions["lincah"]["ctx"].settings.timezone)


def when(value: datetime | None) -> str:
    """A moment in the office's time zone: ``2 Jun 2026 09.05 WITA`` / ``Jun 2, 2026 9:05 AM WITA``."""
    if value is None:
        return "–"
    local = value.astimezone(_zone())
    return f"{format_date(local, 'medium')} {format_time(local, 'short')} {local.strftime('%Z')}".strip()


def day(value) -> str:
    """A date (or an ISO date string, as forms keep them) in the locale's medium format."""
    if value in (None, ""):
        return "–"
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = value.astimezone(_zone()).date()
    return format_date(value, "medium")


def number(value) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    return format_decimal(value)


def fee(value) -> str:
    """The published fee: ``0`` → free; a plain amount → rupiah in the locale's format; other text as written."""
    text = str(value or "").strip()
    if text in ("", "0", "0.0"):
        return _("Free")
    try:
        amount = float(text.replace(".", "").replace(",", ".")) if re.fullmatch(r"[\d.,]+", text) else None
    except ValueError:
        amount = None
    if amount is None:
        return text
    return f"Rp{format_decimal(amount)}"


def sla_target(value: str | None) -> str:
    """An ISO-8601 working-time target as people read it: ``P5D`` → "5 working days"."""
    if not value:
        return _("Not set")
    target = clocks.target_parts(value)
    if target is None:
        return value
    days, hours, minutes = target
    parts = []
    if days:
        parts.append(ngettext("%(num)d working day", "%(num)d working days", days))
    if hours:
        parts.append(ngettext("%(num)d working hour", "%(num)d working hours", hours))
    if minutes:
        parts.append(ngettext("%(num)d minute", "%(num)d minutes", minutes))
    return " ".join(parts)


def hours_minutes(delta: timedelta) -> str:
    """A span of (working) time: ``3 h 20 min`` / ``3 jam 20 menit``."""
    minutes = max(0, int(delta.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return _("%(hours)d h %(minutes)d min", hours=hours, minutes=minutes)
    if hours:
        return _("%(hours)d h", hours=hours)
    return _("%(minutes)d min", minutes=minutes)


def working_span(delta: timedelta, day_length: timedelta) -> str:
    """Working time left or overdue as people count it: whole working days (``2 working days 3 h``) from one
    working day of the office's calendar up, hours and minutes below that."""
    if day_length <= timedelta(0) or delta < day_length:
        return hours_minutes(delta)
    days, rest = divmod(delta, day_length)
    text = ngettext("%(num)d working day", "%(num)d working days", days)
    hours = int(rest.total_seconds() // 3600)
    return f"{text} {_('%(hours)d h', hours=hours)}" if hours else text


def filesize(size) -> str:
    if not isinstance(size, int | float):
        return ""
    if size < 1024:
        return _("%(size)s bytes", size=format_decimal(size))
    if size < 1024 * 1024:
        return f"{format_decimal(round(size / 1024))} KB"
    return f"{format_decimal(round(size / (1024 * 1024), 1))} MB"


FILTERS = {"when": when, "day": day, "number": number, "fee": fee, "sla_target": sla_target,
           "hours_minutes": hours_minutes, "filesize": filesize, "pick": pick}
