"""What analysts type into conditions and timers, turned into what the engine evaluates.

Camunda Modeler users write JUEL (``${amount > 1000 && approved}``) and bare ISO-8601 timer values (``PT4H``);
SpiffWorkflow evaluates Python expressions, where ``PT4H`` is an undefined name. Both are translated here, once, at
deploy time, so that diagrams drawn for Camunda 7 deploy unchanged.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

_DURATION = re.compile(
    r"^P(?=\d|T\d)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?"
    r"(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$"
)
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")
_CYCLE = re.compile(r"^R(\d*)/(.+)$")


def is_iso_duration(text: str) -> bool:
    return bool(_DURATION.match(text.strip()))


def _with_office_offset(value: str, timezone: str) -> str:
    """A date-time without an offset means office time (WITA by default), not the server's zone."""
    if _DATETIME.match(value) and not re.search(r"(Z|[+-]\d{2}:?\d{2})$", value):
        naive = datetime.fromisoformat(value if "T" in value else value + "T00:00:00")
        return naive.replace(tzinfo=ZoneInfo(timezone)).isoformat()
    return value


def iso_timer_literal(text: str, timezone: str) -> str | None:
    """Return a quoted Python literal for a bare ISO-8601 duration, date-time or cycle, else None."""
    value = text.strip()
    if is_iso_duration(value):
        return repr(value)
    if _DATETIME.match(value):
        return repr(_with_office_offset(value, timezone))
    cycle = _CYCLE.match(value)
    if cycle:
        parts = cycle.group(2).split("/")
        if all(is_iso_duration(p) or _DATETIME.match(p) for p in parts) and any(is_iso_duration(p) for p in parts):
            parts = [_with_office_offset(p, timezone) for p in parts]
            return repr(f"R{cycle.group(1)}/" + "/".join(parts))
    return None


# "24 Hours", "Timeout (7 days)", "14 hari": the duration an analyst wrote as the timer's name instead of its value.
_UNITS = {  # unit word (English or Indonesian) → how ISO-8601 writes an amount of it
    "minute": "PT{}M", "minutes": "PT{}M", "min": "PT{}M", "mins": "PT{}M", "menit": "PT{}M",
    "hour": "PT{}H", "hours": "PT{}H", "hr": "PT{}H", "hrs": "PT{}H", "jam": "PT{}H",
    "day": "P{}D", "days": "P{}D", "hari": "P{}D",
    "week": "P{}W", "weeks": "P{}W", "minggu": "P{}W", "pekan": "P{}W",
    "month": "P{}M", "months": "P{}M", "bulan": "P{}M",
}
_NAMED_DURATION = re.compile(rf"\b(\d{{1,4}})\s*({'|'.join(_UNITS)})\b", re.IGNORECASE)


def duration_named_in(name: str | None) -> str | None:
    """The ISO-8601 duration a timer's name spells out in English or Indonesian (``'7 days'`` → ``'P7D'``)."""
    match = _NAMED_DURATION.search(name or "")
    return _UNITS[match.group(2).lower()].format(match.group(1)) if match else None


_JUEL_WRAPPED = re.compile(r"^\s*[$#]\{(.*)\}\s*$", re.DOTALL)
_STRING_OR_WORD = re.compile(r"('(?:\\.|[^'])*'|\"(?:\\.|[^\"])*\")|(&&|\|\||!=|!|\b\w+\b)")
_JUEL_WORDS = {
    "true": "True", "false": "False", "null": "None", "and": "and", "or": "or", "not": "not",
    "eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">=",
}
_JUEL_OPS = {"&&": " and ", "||": " or ", "!": " not ", "!=": "!="}


def juel_to_python(text: str) -> str:
    """Translate a JUEL expression (``${a && !b}``) into Python; plain Python passes through unchanged."""
    match = _JUEL_WRAPPED.match(text)
    if not match:
        return text.strip()
    body = match.group(1)

    def replace(m: re.Match) -> str:
        if m.group(1):
            return m.group(1)
        token = m.group(2)
        if token in _JUEL_OPS:
            return _JUEL_OPS[token]
        return _JUEL_WORDS.get(token, token)

    return re.sub(r"\s+", " ", _STRING_OR_WORD.sub(replace, body)).strip()


_PLACEHOLDER = re.compile(r"^\s*[$#]\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\s*$")


def placeholder_name(text: str | None) -> str | None:
    """``${home_regency}`` → ``home_regency``; anything else → None."""
    if not text:
        return None
    match = _PLACEHOLDER.match(text)
    return match.group(1) if match else None
