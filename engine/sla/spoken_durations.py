"""Durations as people write them ("2 hari", "4 jam kerja", "1 hari 4 jam", "30 menit", "3 days") turned into the
ISO-8601 an SLA property takes (``P2D``, ``PT4H``, ``P1DT4H``, ``PT30M``, ``P3D``): the lint suggests it, so an
analyst who typed what the regulation says is told exactly what to write instead of only that it is wrong.

SLA targets count working time on the office's calendar, so "kerja" (working) adds nothing to the meaning; a week
("minggu") is five working days.
"""

from __future__ import annotations

import re

_UNITS = {
    "D": ("hari", "hr", "day", "days", "d"),
    "W": ("minggu", "pekan", "week", "weeks", "w"),
    "H": ("jam", "hour", "hours", "hrs", "h"),
    "M": ("menit", "mnt", "minute", "minutes", "min", "m"),
}
_UNIT_OF = {word: unit for unit, words in _UNITS.items() for word in words}
_PART = re.compile(r"(\d{1,4})\s*(?:(?:working|work)\s+)?([a-z]+)(?:\s+(?:kerja|working|work))?")
_FILLER = re.compile(r"\b(?:dan|and|,)\b|,")


def suggest(text: str) -> str | None:
    """The ISO-8601 duration ``text`` means, or ``None`` when it is not a duration written in words."""
    words = _FILLER.sub(" ", (text or "").strip().lower())
    if not words or words.upper().startswith("P"):
        return None
    totals = {"D": 0, "H": 0, "M": 0}
    position = 0
    for match in _PART.finditer(words):
        if words[position:match.start()].strip():
            return None  # something between the parts that is not a duration
        unit = _UNIT_OF.get(match.group(2))
        if unit is None:
            return None
        amount = int(match.group(1))
        totals["D" if unit == "W" else unit] += amount * 5 if unit == "W" else amount
        position = match.end()
    if position == 0 or words[position:].strip() or not any(totals.values()):
        return None
    days = f"{totals['D']}D" if totals["D"] else ""
    time = "".join(f"{totals[u]}{u}" for u in ("H", "M") if totals[u])
    return f"P{days}{'T' + time if time else ''}"
