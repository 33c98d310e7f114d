"""Run-time guards: operators, items, iteration, attributes and the builtins scripts may call."""

from __future__ import annotations

import operator
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence

from engine.sandbox.budget import (
    MAX_FORMAT_WIDTH,
    MAX_INT_BITS,
    MAX_INT_DIGITS,
    MAX_ITEMS,
    SEQUENCES,
    SIZED,
    Budget,
    admit,
    current_budget,
    refuse,
)

# --- operators ----------------------------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int)


def _check_mul(a: Any, b: Any) -> None:
    if _is_int(a) and _is_int(b):
        if a.bit_length() + b.bit_length() > MAX_INT_BITS + 1:
            refuse(f"'*' would give an integer of more than {MAX_INT_DIGITS:,} digits")
        return
    sequence, times = (a, b) if _is_int(b) else (b, a)
    if isinstance(sequence, SEQUENCES) and _is_int(times) and len(sequence) * times > MAX_ITEMS:
        refuse(f"'*' would build {len(sequence) * times:,} items; the limit is {MAX_ITEMS:,}")


def _check_pow(a: Any, b: Any) -> None:
    # floor(log2 |a|) * b is a lower bound of the result's bits; admit catches the rest.
    if _is_int(a) and _is_int(b) and b > 0 and abs(a) > 1 and (abs(a).bit_length() - 1) * b > MAX_INT_BITS:
        refuse(f"'**' would give an integer of more than {MAX_INT_DIGITS:,} digits")


def _check_lshift(a: Any, b: Any) -> None:
    if _is_int(a) and _is_int(b) and a and b > 0 and a.bit_length() + b > MAX_INT_BITS:
        refuse(f"'<<' would give an integer of more than {MAX_INT_DIGITS:,} digits")


def _check_width(digits: str, where: str) -> None:
    if len(digits) > 4 or int(digits) > MAX_FORMAT_WIDTH:
        refuse(f"{where} widths and precisions are limited to {MAX_FORMAT_WIDTH:,}")


_PRINTF_FIELD = re.compile(r"%(?:%|(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d*))?)")


def _check_mod(a: Any, b: Any) -> None:
    if not isinstance(a, str | bytes):
        return
    text = a.decode("latin-1") if isinstance(a, bytes) else a
    for match in _PRINTF_FIELD.finditer(text):
        for number in match.groups():
            if number == "*":
                refuse("'*' widths are not supported in %-formatting")
            if number:
                _check_width(number, "%-format")


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "@": operator.matmul, "/": operator.truediv,
    "%": operator.mod, "**": operator.pow, "<<": operator.lshift, ">>": operator.rshift, "|": operator.or_,
    "^": operator.xor, "&": operator.and_, "//": operator.floordiv,
}
_IN_PLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "%=": operator.imod, "**=": operator.ipow, "<<=": operator.ilshift, ">>=": operator.irshift,
    "|=": operator.ior, "^=": operator.ixor, "&=": operator.iand, "//=": operator.ifloordiv,
    "@=": operator.imatmul,
}
_PRECHECKS: dict[str, Callable[[Any, Any], None]] = {
    "*": _check_mul, "**": _check_pow, "<<": _check_lshift, "%": _check_mod,
}


def _binop(symbol: str, a: Any, b: Any) -> Any:
    _tick()
    check = _PRECHECKS.get(symbol)
    if check is not None:
        check(a, b)
    return admit(_OPERATORS[symbol](a, b))


def _inplacevar(op: str, a: Any, b: Any) -> Any:
    _tick()
    check = _PRECHECKS.get(op[:-1])
    if check is not None:
        check(a, b)
    before = sys.getsizeof(a) if type(a) in (list, dict, set) else 0
    result = _IN_PLACE[op](a, b)
    return admit(result, before if result is a else 0)


def _format(value: Any, conversion: int, spec: str) -> str:
    """One f-string field: ``f'{value!r:>10}'`` runs as ``_format(value, ord('r'), '>10')``."""
    _tick()
    if conversion != -1:
        value = {ord("s"): str, ord("r"): repr, ord("a"): ascii}[conversion](value)
    for number in re.findall(r"\d+", spec):
        _check_width(number, "f-string")
    return admit(format(value, spec))


# --- items, iteration, attributes ---------------------------------------------------------------------------


def _tick() -> None:
    current_budget().tick()


def _ticking(iterator: Iterator[Any], budget: Budget) -> Iterator[Any]:
    for item in iterator:
        budget.tick()
        yield item


def _getiter(iterable: Iterable[Any]) -> Iterator[Any]:
    budget = current_budget()
    budget.tick()
    return _ticking(iter(iterable), budget)


def _getitem(container: Any, key: Any) -> Any:
    _tick()
    value = container[key]
    return admit(value) if isinstance(key, slice) else value


def _starred(value: Any) -> Any:
    """``*value`` and ``**value`` copy their operand: count it."""
    _tick()
    return admit(value if isinstance(value, SIZED) else list(value))


def _apply(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return function(*args, **kwargs)


class _ListWriter:
    """What ``lst[i] = v`` writes through: slice assignment can grow a list, so it is size-checked."""

    __slots__ = ("_target",)

    def __init__(self, target: list[Any]):
        self._target = target

    def __setitem__(self, key: Any, value: Any) -> None:
        if not isinstance(key, slice):
            self._target[key] = value
            return
        before = sys.getsizeof(self._target)
        self._target[key] = list(value)
        admit(self._target, before)

    def __delitem__(self, key: Any) -> None:
        del self._target[key]


def _write(target: Any) -> Any:
    _tick()
    if type(target) is dict:
        return target
    if type(target) is list:
        return _ListWriter(target)
    refuse(f"only dicts and lists can be changed in place, not a {type(target).__name__}")


# Attribute rules: (object, attribute value) -> what the script gets.
_Rule = Callable[[Any, Any], Any]


def _plain(obj: Any, method: Any) -> Any:
    return method


def _sized(obj: Any, method: Callable[..., Any]) -> Callable[..., Any]:
    return lambda *args, **kwargs: admit(method(*args, **kwargs))


def _grows(obj: Any, method: Callable[..., Any]) -> Callable[..., None]:
    def call(*args: Any, **kwargs: Any) -> None:
        before = sys.getsizeof(obj)
        method(*args, **kwargs)
        admit(obj, before)

    return call


def _str_join(separator: str, method: Callable[..., str]) -> Callable[..., str]:
    def join(iterable: Iterable[Any]) -> str:
        parts = list(iterable)
        total = sum(len(p) for p in parts if isinstance(p, str)) + len(separator) * max(len(parts) - 1, 0)
        if total > MAX_ITEMS:
            refuse(f"str.join() would build {total:,} characters; the limit is {MAX_ITEMS:,}")
        return admit(method(parts))

    return join


def _str_replace(text: str, method: Callable[..., str]) -> Callable[..., str]:
    def replace(old: str, new: str, count: int = -1) -> str:
        if isinstance(old, str) and isinstance(new, str) and _is_int(count) and len(new) > len(old):
            matches = text.count(old) if old else len(text) + 1
            matches = matches if count < 0 else min(matches, count)
            if len(text) + matches * (len(new) - len(old)) > MAX_ITEMS:
                refuse(f"str.replace() would build more than {MAX_ITEMS:,} characters")
        return admit(method(old, new, count))

    return replace


def _str_pad(text: str, method: Callable[..., str]) -> Callable[..., str]:
    def pad(width: int, *fill: str) -> str:
        if _is_int(width) and width > MAX_ITEMS:
            refuse(f"str.{method.__name__}() widths are limited to {MAX_ITEMS:,}")
        return admit(method(width, *fill))

    return pad


def _rules(names: str, rule: _Rule) -> dict[str, _Rule]:
    return dict.fromkeys(names.split(), rule)


_ATTRIBUTES: dict[type, dict[str, _Rule]] = {
    str: {
        **_rules("count endswith find index isalnum isalpha isascii isdecimal isdigit islower isnumeric "
                 "isspace istitle isupper rfind rindex startswith", _plain),
        **_rules("capitalize casefold lower lstrip partition removeprefix removesuffix rpartition rsplit "
                 "rstrip split splitlines strip swapcase title upper", _sized),
        **_rules("center ljust rjust zfill", _str_pad),
        "join": _str_join,
        "replace": _str_replace,
    },
    list: {**_rules("append clear count index insert pop remove reverse sort", _plain),
           "copy": _sized, "extend": _grows},
    dict: {**_rules("clear get items keys pop popitem setdefault values", _plain),
           "copy": _sized, "update": _grows},
    set: {**_rules("add clear discard isdisjoint issubset issuperset pop remove", _plain),
          **_rules("copy difference intersection symmetric_difference union", _sized),
          **_rules("update difference_update intersection_update symmetric_difference_update", _grows)},
    tuple: _rules("count index", _plain),
    float: _rules("is_integer", _plain),
}


def _getattr(obj: Any, name: str) -> Any:
    _tick()
    if isinstance(obj, BaseException) and name == "args":
        return obj.args
    rule = _ATTRIBUTES.get(type(obj), {}).get(name)
    if rule is None:
        if not isinstance(name, str) or name.startswith("_") or hasattr(obj, name):
            owner = obj.__name__ if isinstance(obj, type) else type(obj).__name__
            refuse(f"'{owner}.{name}' is not available in scripts")
        raise AttributeError(f"'{type(obj).__name__}' object has no attribute '{name}'")
    return rule(obj, getattr(obj, name))


# --- builtins -----------------------------------------------------------------------------------------------


def _range(*args: int) -> range:
    numbers = range(*args)
    try:
        count = len(numbers)
    except OverflowError:
        count = MAX_ITEMS + 1
    if count > MAX_ITEMS:
        refuse(f"range() is limited to {MAX_ITEMS:,} numbers")
    return numbers


def _sum(iterable: Iterable[Any], /, start: Any = 0) -> Any:
    if not isinstance(start, int | float):
        refuse("sum() only adds numbers; join strings with ''.join(...) and lists with a comprehension")
    return admit(sum(_getiter(iterable), start))


def _round(number: Any, ndigits: int | None = None) -> Any:
    if _is_int(ndigits) and ndigits < -MAX_INT_DIGITS:  # round(5, -10**9) computes 10**(10**9)
        refuse(f"round() accepts at most {MAX_INT_DIGITS:,} digits")
    return round(number, ndigits)


_TYPES: dict[Callable[..., Any], type] = {}


def _counted(factory: type) -> Callable[..., Any]:
    """A constructor whose result is size-checked; isinstance() maps it back to the real type."""

    def build(*args: Any, **kwargs: Any) -> Any:
        return admit(factory(*args, **kwargs))

    build.__name__ = build.__qualname__ = factory.__name__
    _TYPES[build] = factory
    return build


def _isinstance(obj: Any, kinds: Any) -> bool:
    if isinstance(kinds, tuple):
        return isinstance(obj, tuple(_TYPES.get(kind, kind) for kind in kinds))
    return isinstance(obj, _TYPES.get(kinds, kinds))


def _sorted(iterable: Iterable[Any], /, *, key: Callable[[Any], Any] | None = None, reverse: bool = False
            ) -> list[Any]:
    return admit(sorted(iterable, key=key, reverse=reverse))


#: What scripts and expressions can call. Small on purpose: every entry is attack surface. ``str``,
#: ``list``, ``tuple``, ``dict``, ``set``, ``sorted`` and ``sum`` check the size of what they build; ``range``
#: is capped at 1,000,000 numbers; ``round`` refuses absurd precisions. No date helpers: the engine reads time
#: from its injectable clock, and dates in task data are ISO strings, which compare correctly as strings
#: (``submitted_on < '2026-01-01'``). A few exception classes let scripts ``raise ValueError('...')`` and
#: catch conversion errors.
SAFE_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": abs, "all": all, "any": any, "bool": bool, "enumerate": enumerate, "float": float, "int": int,
    "isinstance": _isinstance, "len": len, "max": max, "min": min, "range": _range, "round": _round,
    "sorted": _sorted, "sum": _sum, "zip": zip,
    **{kind.__name__: _counted(kind) for kind in (str, list, tuple, dict, set)},
    **{error.__name__: error for error in (Exception, ValueError, TypeError, KeyError, IndexError,
                                           ZeroDivisionError)},
}

BUILTINS: dict[str, Any] = {
    **SAFE_FUNCTIONS,
    "_getattr_": _getattr, "_getitem_": _getitem, "_getiter_": _getiter, "_write_": _write,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence, "_unpack_sequence_": guarded_unpack_sequence,
    "_inplacevar_": _inplacevar, "_apply_": _apply, "_tick_": _tick, "_op_": _binop, "_format_": _format,
    "_starred_": _starred,
}
