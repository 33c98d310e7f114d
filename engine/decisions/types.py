"""The types a decision table declares (``typeRef``) and how values are converted to and from them.

Camunda Modeler offers ``string``, ``boolean``, ``integer``, ``long``, ``double`` and ``date``; DMN 1.3 names FEEL's
``number``, ``date and time`` and ``Any`` too. A table works on Python values — numbers as ``int`` or ``Decimal``
(FEEL numbers are decimals, so ``0.1 + 0.2`` is ``0.3``), dates as ``date``/``datetime`` — and hands its results
back as JSON values, because task data must stay JSON: integers as ``int``, doubles as ``float``, dates as ISO text.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

STRING, BOOLEAN, INTEGER, LONG, DOUBLE, NUMBER, DATE, DATE_TIME = (
    "string", "boolean", "integer", "long", "double", "number", "date", "date and time")
# typeRef as written (lower case) -> the type it means; an empty typeRef accepts any value as it is.
ALIASES = {
    "string": STRING, "boolean": BOOLEAN, "integer": INTEGER, "int": INTEGER, "long": LONG, "double": DOUBLE,
    "number": NUMBER, "date": DATE, "datetime": DATE_TIME, "date and time": DATE_TIME, "any": None, "": None,
}
# Integers past this many bits are no FEEL number (decimal128 holds 34 digits): refused instead of computed.
MAX_BITS = 256


class TypeMismatch(ValueError):
    """A value that the declared type cannot hold; the message names the value and the type."""


def known(type_ref: str | None) -> bool:
    return (type_ref or "").strip().lower() in ALIASES


def canonical(type_ref: str | None) -> str | None:
    return ALIASES.get((type_ref or "").strip().lower())


def family(type_ref: str | None) -> str | None:
    """What kind of literal a column of this type compares with: number, string, boolean, date (or any: None)."""
    kind = canonical(type_ref)
    if kind in (INTEGER, LONG, DOUBLE, NUMBER):
        return "number"
    if kind in (DATE, DATE_TIME):
        return "date"
    return kind


def family_of(value) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if is_number(value):
        return "number"
    if isinstance(value, date):
        return "date"
    if isinstance(value, str):
        return "string"
    return None


def is_number(value) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def comparable_value(value):
    """Numbers as exact decimals (a float by its shortest text, so 0.1 is 0.1), dates as they are."""
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


def tidy_number(value):
    """An integral decimal as ``int``; ``None`` (FEEL's null) for a number too large to be one."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        if value == value.to_integral_value() and abs(value) < 10 ** 34:
            return int(value)
        return value
    if isinstance(value, int) and value.bit_length() > MAX_BITS:
        return None
    return value


def parse_date(text: str) -> date:
    return date.fromisoformat(text.strip()[:10]) if "T" in text else date.fromisoformat(text.strip())


def parse_datetime(text: str) -> datetime:
    return datetime.fromisoformat(text.strip().replace("Z", "+00:00"))


def coerce(value, type_ref: str | None):
    """``value`` (from task data, a request or an expression) as the declared type; ``None`` stays ``None``.
    Raises :class:`TypeMismatch`."""
    kind = canonical(type_ref)
    if value is None or kind is None:
        return value
    try:
        if kind == STRING:
            if isinstance(value, str):
                return value
        elif kind == BOOLEAN:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.strip().lower() in ("true", "false"):
                return value.strip().lower() == "true"
        elif kind in (INTEGER, LONG):
            number = _number(value)
            if number is not None and number == number.to_integral_value():
                return tidy_number(number)
        elif kind in (DOUBLE, NUMBER):
            number = _number(value)
            if number is not None:
                return tidy_number(number) if kind == NUMBER else number
        elif kind == DATE:
            if isinstance(value, datetime):
                return value.date()
            if isinstance(value, date):
                return value
            if isinstance(value, str):
                return parse_date(value)
        elif kind == DATE_TIME:
            if isinstance(value, datetime):
                return value
            if isinstance(value, date):
                return datetime(value.year, value.month, value.day, tzinfo=UTC)
            if isinstance(value, str):
                return parse_datetime(value)
    except (ValueError, InvalidOperation):
        pass
    raise TypeMismatch(f"{_shown(value)} is not a {kind}")


def _number(value) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        number = Decimal(value.strip())
        return number if number.is_finite() else None
    return None


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def to_json(value, type_ref: str | None = None):
    """A result value as task data holds it: ``int``/``float``, ISO dates, lists and maps of the same."""
    kind = canonical(type_ref)
    if isinstance(value, Decimal):
        integral = value == value.to_integral_value()
        if kind in (INTEGER, LONG) or (integral and kind != DOUBLE):
            return int(value)
        return float(value)
    if isinstance(value, float) and kind in (INTEGER, LONG) and value.is_integer():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and kind == DOUBLE:
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    return value
