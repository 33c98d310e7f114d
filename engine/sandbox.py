"""The sandboxed script engine: gateway conditions, timer expressions and script tasks run here, not in eval.

Why: SpiffWorkflow's stock ``PythonScriptEngine`` runs BPMN code with plain ``eval``/``exec`` and full
builtins, so whoever deploys a definition can run ``__import__('os').system(...)`` on the server; emptying
``__builtins__`` is not enough (``().__class__.__base__.__subclasses__()`` walks back to ``os``).
RestrictedPython closes those doors but bounds neither CPU nor memory (``2 ** (10 ** 9)`` hangs a worker), so
this module adds the limits.

How code is checked (compile time, :class:`SandboxPolicy`, results cached per source text):

* RestrictedPython's rules (no ``exec``/``eval``, no names or attributes starting with ``_``, no frame or
  generator internals) plus ours: no imports, ``def``, ``class``, ``yield``, ``global``, ``with``, attribute
  assignment, ``.format``/``.format_map`` (format strings walk attributes: ``'{0.__class__}'.format(1)``), and
  no calls of ``open``/``getattr``/``type``/``globals``/... (they do not exist at run time either; the check
  lets the linter say so).
* Every attribute read, item read and write, iteration, binary operator, f-string field, ``*``/``**``
  unpacking, call, comparison, ``while`` body and lambda body is rewritten to go through a guard defined here.

How code runs:

* Builtins are exactly :data:`SAFE_FUNCTIONS`. Attribute access is a whitelist of methods of the JSON types
  (``str``, ``list``, ``dict``) and of ``set``/``tuple``; everything else is refused.
* Time: every guard checks a monotonic deadline (default 1 s), so loops, recursion through lambdas and long
  straight-line code all stop; a single builtin operation on capped inputs takes well under a second. No
  signals: the engine runs in web-server threads; the budget lives in a ``ContextVar``.
* Memory: operations that multiply sizes are checked *before* they run (integers up to 10,000 digits;
  strings, lists, dicts, sets and ranges up to 1,000,000 items; format widths up to 1,000); large results
  count against a per-evaluation allocation budget of 64 MiB; element-by-element growth is bounded by the
  deadline.
* A refusal is sticky: catching it with ``try/except`` does not help, the evaluation fails anyway.
* Task data stays JSON: after a script, every variable must be a dict/list/str/int/float/bool/None
  (recursively: string keys, finite floats, 64-bit integers, at most 100 levels deep), else
  :class:`SandboxViolation` names it. A script runs on a deep copy of the task data, written back only when
  the script succeeds.

Errors: refusals raise :class:`engine.errors.SandboxViolation`; mistakes in user code (``NameError``,
``ZeroDivisionError``...) raise as they are. As with the stock environment, ``PythonScriptEngine`` wraps both
into a ``WorkflowTaskException`` carrying the task (element id) and line number; the original exception is its
``__context__``.

**The script engine is not serialized.** ``BpmnWorkflowSerializer`` (``from_dict``/``deserialize_json``)
gives a loaded workflow the stock, unrestricted engine. Whoever loads a workflow must set
``workflow.script_engine = create_script_engine()`` (or a shared instance of it) before running anything, on
every load; the persistence layer does, and ``tests/engine/test_sandbox.py`` shows what happens otherwise.
"""

from __future__ import annotations

import ast
import copy
import functools
import math
import operator
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from types import CodeType
from typing import Any, NoReturn

from RestrictedPython import RestrictingNodeTransformer, compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence
from RestrictedPython.transformer import INSPECT_ATTRIBUTES, IOPERATOR_TO_STR, copy_locations
from SpiffWorkflow.bpmn.script_engine import BasePythonScriptEngineEnvironment, PythonScriptEngine

from .errors import SandboxViolation

MAX_INT_DIGITS = 10_000
MAX_ITEMS = 1_000_000  # characters of a string, items of a list/tuple/dict/set, numbers in a range
MAX_FORMAT_WIDTH = 1_000
MAX_ALLOCATED_BYTES = 64 * 2**20
MAX_DATA_DEPTH = 100

_MAX_INT_BITS = math.ceil(MAX_INT_DIGITS * math.log2(10))
_LARGE_RESULT = 64 * 1024  # smaller results are not counted; the deadline bounds how many can be made
_SIZED = (str, bytes, list, tuple, dict, set, frozenset)
_SEQUENCES = (str, bytes, list, tuple)


# --- the per-evaluation budget ------------------------------------------------------------------------------


class _Budget:
    """Deadline and allocation count of one evaluation; remembers the first refusal."""

    __slots__ = ("allocated", "deadline", "time_limit", "violation")

    def __init__(self, time_limit: float):
        self.time_limit = time_limit
        self.deadline = time.monotonic() + time_limit
        self.allocated = 0
        self.violation: str | None = None

    def refuse(self, message: str) -> NoReturn:
        if self.violation is None:
            self.violation = message
        raise SandboxViolation(message)

    def tick(self) -> None:
        if self.violation is not None:
            raise SandboxViolation(self.violation)
        if time.monotonic() > self.deadline:
            self.refuse(f"time limit exceeded: the code ran longer than {self.time_limit:g} s")

    def charge(self, nbytes: int) -> None:
        self.allocated += nbytes
        if self.allocated > MAX_ALLOCATED_BYTES:
            mib = MAX_ALLOCATED_BYTES // 2**20
            self.refuse(f"memory limit exceeded: the code built more than {mib} MiB of data")


_CURRENT: ContextVar[_Budget | None] = ContextVar("lincah_sandbox_budget", default=None)


def _budget() -> _Budget:
    budget = _CURRENT.get()
    if budget is None:
        raise SandboxViolation("sandboxed code can only run inside the script engine")
    return budget


def _refuse(message: str) -> NoReturn:
    _budget().refuse(message)


def _admit(value: Any, size_before: int = 0) -> Any:
    """Refuse a result that is too big; count large ones (only the growth, for in-place changes)."""
    if type(value) is int:
        if value.bit_length() > _MAX_INT_BITS:
            _refuse(f"integers are limited to {MAX_INT_DIGITS:,} digits")
    elif isinstance(value, _SIZED):
        if len(value) > MAX_ITEMS:
            _refuse(f"a {type(value).__name__} would have {len(value):,} items; the limit is {MAX_ITEMS:,}")
    else:
        return value
    grown = sys.getsizeof(value) - size_before
    if grown >= _LARGE_RESULT:
        _budget().charge(grown)
    return value


# --- operators ----------------------------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int)


def _check_mul(a: Any, b: Any) -> None:
    if _is_int(a) and _is_int(b):
        if a.bit_length() + b.bit_length() > _MAX_INT_BITS + 1:
            _refuse(f"'*' would give an integer of more than {MAX_INT_DIGITS:,} digits")
        return
    sequence, times = (a, b) if _is_int(b) else (b, a)
    if isinstance(sequence, _SEQUENCES) and _is_int(times) and len(sequence) * times > MAX_ITEMS:
        _refuse(f"'*' would build {len(sequence) * times:,} items; the limit is {MAX_ITEMS:,}")


def _check_pow(a: Any, b: Any) -> None:
    # floor(log2 |a|) * b is a lower bound of the result's bits; _admit catches the rest.
    if _is_int(a) and _is_int(b) and b > 0 and abs(a) > 1 and (abs(a).bit_length() - 1) * b > _MAX_INT_BITS:
        _refuse(f"'**' would give an integer of more than {MAX_INT_DIGITS:,} digits")


def _check_lshift(a: Any, b: Any) -> None:
    if _is_int(a) and _is_int(b) and a and b > 0 and a.bit_length() + b > _MAX_INT_BITS:
        _refuse(f"'<<' would give an integer of more than {MAX_INT_DIGITS:,} digits")


def _check_width(digits: str, where: str) -> None:
    if len(digits) > 4 or int(digits) > MAX_FORMAT_WIDTH:
        _refuse(f"{where} widths and precisions are limited to {MAX_FORMAT_WIDTH:,}")


_PRINTF_FIELD = re.compile(r"%(?:%|(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d*))?)")


def _check_mod(a: Any, b: Any) -> None:
    if not isinstance(a, str | bytes):
        return
    text = a.decode("latin-1") if isinstance(a, bytes) else a
    for match in _PRINTF_FIELD.finditer(text):
        for number in match.groups():
            if number == "*":
                _refuse("'*' widths are not supported in %-formatting")
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
    return _admit(_OPERATORS[symbol](a, b))


def _inplacevar(op: str, a: Any, b: Any) -> Any:
    _tick()
    check = _PRECHECKS.get(op[:-1])
    if check is not None:
        check(a, b)
    before = sys.getsizeof(a) if type(a) in (list, dict, set) else 0
    result = _IN_PLACE[op](a, b)
    return _admit(result, before if result is a else 0)


def _format(value: Any, conversion: int, spec: str) -> str:
    """One f-string field: ``f'{value!r:>10}'`` runs as ``_format(value, ord('r'), '>10')``."""
    _tick()
    if conversion != -1:
        value = {ord("s"): str, ord("r"): repr, ord("a"): ascii}[conversion](value)
    for number in re.findall(r"\d+", spec):
        _check_width(number, "f-string")
    return _admit(format(value, spec))


# --- items, iteration, attributes ---------------------------------------------------------------------------


def _tick() -> None:
    _budget().tick()


def _ticking(iterator: Iterator[Any], budget: _Budget) -> Iterator[Any]:
    for item in iterator:
        budget.tick()
        yield item


def _getiter(iterable: Iterable[Any]) -> Iterator[Any]:
    budget = _budget()
    budget.tick()
    return _ticking(iter(iterable), budget)


def _getitem(container: Any, key: Any) -> Any:
    _tick()
    value = container[key]
    return _admit(value) if isinstance(key, slice) else value


def _starred(value: Any) -> Any:
    """``*value`` and ``**value`` copy their operand: count it."""
    _tick()
    return _admit(value if isinstance(value, _SIZED) else list(value))


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
        _admit(self._target, before)

    def __delitem__(self, key: Any) -> None:
        del self._target[key]


def _write(target: Any) -> Any:
    _tick()
    if type(target) is dict:
        return target
    if type(target) is list:
        return _ListWriter(target)
    _refuse(f"only dicts and lists can be changed in place, not a {type(target).__name__}")


# Attribute rules: (object, attribute value) -> what the script gets.
_Rule = Callable[[Any, Any], Any]


def _plain(obj: Any, method: Any) -> Any:
    return method


def _sized(obj: Any, method: Callable[..., Any]) -> Callable[..., Any]:
    return lambda *args, **kwargs: _admit(method(*args, **kwargs))


def _grows(obj: Any, method: Callable[..., Any]) -> Callable[..., None]:
    def call(*args: Any, **kwargs: Any) -> None:
        before = sys.getsizeof(obj)
        method(*args, **kwargs)
        _admit(obj, before)

    return call


def _str_join(separator: str, method: Callable[..., str]) -> Callable[..., str]:
    def join(iterable: Iterable[Any]) -> str:
        parts = list(iterable)
        total = sum(len(p) for p in parts if isinstance(p, str)) + len(separator) * max(len(parts) - 1, 0)
        if total > MAX_ITEMS:
            _refuse(f"str.join() would build {total:,} characters; the limit is {MAX_ITEMS:,}")
        return _admit(method(parts))

    return join


def _str_replace(text: str, method: Callable[..., str]) -> Callable[..., str]:
    def replace(old: str, new: str, count: int = -1) -> str:
        if isinstance(old, str) and isinstance(new, str) and _is_int(count) and len(new) > len(old):
            matches = text.count(old) if old else len(text) + 1
            matches = matches if count < 0 else min(matches, count)
            if len(text) + matches * (len(new) - len(old)) > MAX_ITEMS:
                _refuse(f"str.replace() would build more than {MAX_ITEMS:,} characters")
        return _admit(method(old, new, count))

    return replace


def _str_pad(text: str, method: Callable[..., str]) -> Callable[..., str]:
    def pad(width: int, *fill: str) -> str:
        if _is_int(width) and width > MAX_ITEMS:
            _refuse(f"str.{method.__name__}() widths are limited to {MAX_ITEMS:,}")
        return _admit(method(width, *fill))

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
            _refuse(f"'{owner}.{name}' is not available in scripts")
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
        _refuse(f"range() is limited to {MAX_ITEMS:,} numbers")
    return numbers


def _sum(iterable: Iterable[Any], /, start: Any = 0) -> Any:
    if not isinstance(start, int | float):
        _refuse("sum() only adds numbers; join strings with ''.join(...) and lists with a comprehension")
    return _admit(sum(_getiter(iterable), start))


def _round(number: Any, ndigits: int | None = None) -> Any:
    if _is_int(ndigits) and ndigits < -MAX_INT_DIGITS:  # round(5, -10**9) computes 10**(10**9)
        _refuse(f"round() accepts at most {MAX_INT_DIGITS:,} digits")
    return round(number, ndigits)


_TYPES: dict[Callable[..., Any], type] = {}


def _counted(factory: type) -> Callable[..., Any]:
    """A constructor whose result is size-checked; isinstance() maps it back to the real type."""

    def build(*args: Any, **kwargs: Any) -> Any:
        return _admit(factory(*args, **kwargs))

    build.__name__ = build.__qualname__ = factory.__name__
    _TYPES[build] = factory
    return build


def _isinstance(obj: Any, kinds: Any) -> bool:
    if isinstance(kinds, tuple):
        return isinstance(obj, tuple(_TYPES.get(kind, kind) for kind in kinds))
    return isinstance(obj, _TYPES.get(kinds, kinds))


def _sorted(iterable: Iterable[Any], /, *, key: Callable[[Any], Any] | None = None, reverse: bool = False
            ) -> list[Any]:
    return _admit(sorted(iterable, key=key, reverse=reverse))


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

_BUILTINS: dict[str, Any] = {
    **SAFE_FUNCTIONS,
    "_getattr_": _getattr, "_getitem_": _getitem, "_getiter_": _getiter, "_write_": _write,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence, "_unpack_sequence_": guarded_unpack_sequence,
    "_inplacevar_": _inplacevar, "_apply_": _apply, "_tick_": _tick, "_op_": _binop, "_format_": _format,
    "_starred_": _starred,
}


# --- compile-time policy ------------------------------------------------------------------------------------

_OPERATOR_SYMBOLS = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.MatMult: "@", ast.Div: "/", ast.Mod: "%", ast.Pow: "**",
    ast.LShift: "<<", ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&", ast.FloorDiv: "//",
}
_FORBIDDEN_CALLS = frozenset(
    "breakpoint compile delattr dir eval exec getattr globals hasattr help input locals memoryview object "
    "open setattr super type vars".split()
)
_FORMAT_ATTRIBUTES = frozenset({"format", "format_map"})


def _not_allowed(what: str, hint: str = "") -> Callable[[RestrictingNodeTransformer, ast.AST], ast.AST]:
    def visit(self: RestrictingNodeTransformer, node: ast.AST) -> ast.AST:
        self.error(node, f"{what} are not allowed in scripts{hint}")
        return node

    return visit


class SandboxPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, stricter, with calls to the guards above woven in."""

    def error(self, node: ast.AST, info: str) -> None:
        self.errors.append(f"line {getattr(node, 'lineno', '?')}: {info}")

    def _call(self, guard: str, args: list[ast.expr], where: ast.AST) -> ast.Call:
        call = ast.Call(func=ast.Name(guard, ast.Load()), args=args, keywords=[])
        copy_locations(call, where)
        return call

    def check_name(self, node: ast.AST, name: str | None, allow_magic_methods: bool = False) -> None:
        if name and name.startswith("_") and name != "_":
            self.error(node, f"names starting with '_' are not allowed: {name}")
        else:
            super().check_name(node, name, allow_magic_methods)

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in ("print", "printed"):
            self.error(node, "print() is not available in scripts; put values in variables instead")
            return node
        return super().visit_Name(node)

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if node.attr.startswith("_"):
            self.error(node, f"names starting with '_' are not allowed: {node.attr}")
        elif node.attr in _FORMAT_ATTRIBUTES:
            self.error(node, f"'.{node.attr}' is not allowed in scripts; use f-strings or % for formatting")
        elif node.attr in INSPECT_ATTRIBUTES:
            self.error(node, f"'.{node.attr}' (interpreter internals) is not allowed in scripts")
        elif not isinstance(node.ctx, ast.Load):
            self.error(node, f"attributes cannot be set or deleted in scripts: .{node.attr}")
        else:
            return super().visit_Attribute(node)
        return self.node_contents_visit(node)

    def _ticked(self, node: ast.expr) -> ast.expr:
        """``_tick_() or node``: check the deadline, then evaluate ``node`` as before."""
        ticked = ast.BoolOp(op=ast.Or(), values=[self._call("_tick_", [], node), node])
        copy_locations(ticked, node)
        return ticked

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if isinstance(node.func, ast.Name) and node.func.id in _FORBIDDEN_CALLS:
            self.error(node, f"{node.func.id}() is not available in scripts")
            return self.node_contents_visit(node)
        return self._ticked(super().visit_Call(node))

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        return self._ticked(self.node_contents_visit(node))

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        symbol = ast.Constant(_OPERATOR_SYMBOLS[type(node.op)])
        return self._call("_op_", [symbol, node.left, node.right], node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST | list[ast.stmt]:
        """``d[k] += v`` (refused by RestrictedPython) becomes a guarded read-modify-write of ``d[k]``."""
        target = node.target
        if not isinstance(target, ast.Subscript) or isinstance(target.slice, ast.Slice):
            return super().visit_AugAssign(node)
        container, key, value = self.visit(target.value), self.visit(target.slice), self.visit(node.value)
        obj_name, key_name = self.gen_tmp_name(), self.gen_tmp_name()
        obj, key_ref = ast.Name(obj_name, ast.Load()), ast.Name(key_name, ast.Load())
        current = self._call("_getitem_", [obj, key_ref], node)
        symbol = ast.Constant(IOPERATOR_TO_STR[type(node.op)])
        updated = self._call("_inplacevar_", [symbol, current, value], node)
        store = ast.Subscript(value=self._call("_write_", [obj], node), slice=key_ref, ctx=ast.Store())
        statements: list[ast.stmt] = [
            ast.Assign(targets=[ast.Name(obj_name, ast.Store())], value=container),
            ast.Assign(targets=[ast.Name(key_name, ast.Store())], value=key),
            ast.Assign(targets=[store], value=updated),
        ]
        for statement in statements:
            copy_locations(statement, node)
        return statements

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        node = self.node_contents_visit(node)
        spec = node.format_spec or ast.Constant("")
        call = self._call("_format_", [node.value, ast.Constant(node.conversion), spec], node)
        formatted = ast.FormattedValue(value=call, conversion=-1, format_spec=None)
        copy_locations(formatted, node)
        return formatted

    def visit_Starred(self, node: ast.Starred) -> ast.AST:
        node = self.node_contents_visit(node)
        if isinstance(node.ctx, ast.Load):
            node.value = self._call("_starred_", [node.value], node)
        return node

    def visit_Dict(self, node: ast.Dict) -> ast.AST:
        node = self.node_contents_visit(node)
        node.values = [value if key is not None else self._call("_starred_", [value], value)
                       for key, value in zip(node.keys, node.values, strict=True)]
        return node

    def visit_keyword(self, node: ast.keyword) -> ast.AST:
        node = self.node_contents_visit(node)
        if node.arg is None:
            node.value = self._call("_starred_", [node.value], node.value)
        return node

    def visit_While(self, node: ast.While) -> ast.AST:
        node = self.node_contents_visit(node)
        tick = ast.Expr(self._call("_tick_", [], node))
        copy_locations(tick, node)
        node.body.insert(0, tick)
        return node

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        node = super().visit_Lambda(node)
        node.body = self._ticked(node.body)
        return node

    visit_Import = visit_ImportFrom = _not_allowed("imports")
    visit_FunctionDef = visit_AsyncFunctionDef = _not_allowed("function definitions", "; use a lambda")
    visit_ClassDef = _not_allowed("class definitions")
    visit_Yield = visit_YieldFrom = _not_allowed("generators (yield)")
    visit_Global = visit_Nonlocal = _not_allowed("global and nonlocal statements")
    visit_With = visit_AsyncWith = _not_allowed("with statements")


@dataclass(frozen=True)
class _Compiled:
    code: CodeType | None
    problem: str | None = None
    syntax_error: tuple[type[SyntaxError], tuple[Any, ...]] | None = None


@functools.lru_cache(maxsize=4096)
def _compile(source: str, mode: str) -> _Compiled:
    """Compile once per distinct source: conditions are evaluated on every engine step."""
    text = source.strip() if mode == "eval" else source  # conditions are often indented in the XML
    compile_restricted = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    try:
        tree = ast.parse(text, "<string>", mode)
        result = compile_restricted(tree, "<string>", policy=SandboxPolicy)
    except SyntaxError as err:
        return _Compiled(None, f"line {err.lineno}: {err.msg}", (type(err), err.args))
    except (ValueError, RecursionError, MemoryError) as err:
        return _Compiled(None, f"cannot be compiled: {err or type(err).__name__}")
    if result.errors:
        errors = list(dict.fromkeys(result.errors))
        more = len(errors) - 3
        return _Compiled(None, "; ".join(errors[:3]) + (f" (and {more} more)" if more > 0 else ""))
    return _Compiled(result.code)


def _code_for(source: str, mode: str) -> CodeType:
    if not isinstance(source, str):
        raise TypeError(f"expected Python source text, not {type(source).__name__}")
    compiled = _compile(source, mode)
    if compiled.syntax_error is not None:
        error_class, args = compiled.syntax_error
        raise error_class(*args)
    if compiled.code is None:
        raise SandboxViolation(compiled.problem or "the code is not allowed")
    return compiled.code


def _check(source: str, mode: str) -> str | None:
    if not isinstance(source, str):
        return f"expected Python source text, not {type(source).__name__}"
    try:
        return _compile(source, mode).problem
    except Exception as err:  # the linter must get a message, whatever happened
        return f"cannot be checked: {err}"


def check_expression(source: str) -> str | None:
    """None if ``source`` is an expression the sandbox accepts, else a short message such as
    ``"line 1: names starting with '_' are not allowed: __class__"``. Never raises."""
    return _check(source, "eval")


def check_script(source: str) -> str | None:
    """Like :func:`check_expression`, for a script task's statements."""
    return _check(source, "exec")


# --- running ------------------------------------------------------------------------------------------------


def _visible(key: Any) -> bool:
    return isinstance(key, str) and not key.startswith("_")


def _variables(*sources: Mapping[str, Any] | None) -> dict[str, Any]:
    """The names code can see; later sources win. Names starting with '_' are unreachable anyway: left out."""
    return {key: value for source in sources if source for key, value in source.items() if _visible(key)}


def _run(code: CodeType, scope: dict[str, Any], time_limit: float) -> Any:
    """Run restricted ``code`` in ``scope`` (which gains the guarded builtins) within one budget."""
    scope["__builtins__"] = _BUILTINS
    budget = _Budget(time_limit)
    token = _CURRENT.set(budget)
    try:
        result = eval(code, scope)
    except SandboxViolation:
        raise
    except Exception as err:
        if budget.violation is not None:  # user code swallowed a refusal, then failed otherwise
            raise SandboxViolation(budget.violation) from err
        raise
    finally:
        _CURRENT.reset(token)
    if budget.violation is not None:  # user code swallowed a refusal with try/except
        raise SandboxViolation(budget.violation)
    return result


_INT64_RANGE = range(-(2**63), 2**64)  # what orjson, our codec, can write


def _json_problem(value: Any, ancestors: tuple[int, ...] = ()) -> tuple[str, list[str]] | None:
    """What makes ``value`` not JSON, and where (path segments, innermost first); None if it is JSON."""
    kind = type(value)
    if value is None or kind is str or kind is bool:
        return None
    if kind is int:
        return None if value in _INT64_RANGE else ("is an integer too large for task data (64 bits)", [])
    if kind is float:
        return None if math.isfinite(value) else (f"is {value!r}, which JSON cannot represent", [])
    if kind is list:
        items: Iterable[tuple[Any, Any]] = enumerate(value)
    elif kind is dict:
        items = value.items()
        bad_key = next((key for key in value if type(key) is not str), None)
        if bad_key is not None:
            return f"has a key that is not a string: {bad_key!r}", []
    else:
        return f"holds a {_describe(value)}", []
    if id(value) in ancestors:
        return "contains itself", []
    if len(ancestors) >= MAX_DATA_DEPTH:
        return f"is nested more than {MAX_DATA_DEPTH} levels deep", []
    for key, item in items:
        problem = _json_problem(item, (*ancestors, id(value)))
        if problem is not None:
            problem[1].append(f"[{key!r}]")
            return problem
    return None


def _describe(value: Any) -> str:
    if isinstance(value, type):
        return "type"
    if callable(value):
        return "function"
    hints = {tuple: "tuple (use a list)", set: "set (use a list)", frozenset: "set (use a list)"}
    return hints.get(type(value), f"{type(value).__name__} object")


def _require_json(variables: Mapping[str, Any]) -> None:
    for name, value in variables.items():
        problem = _json_problem(value)
        if problem is not None:
            message, path = problem
            where = name + "".join(reversed(path))
            raise SandboxViolation(
                f"variable '{name}' cannot be kept in task data: {where} {message}. Task data must be JSON "
                f"(dict, list, str, int, float, bool, None); convert it or delete it with 'del {name}'."
            )


def _write_back(context: dict[str, Any], scope: dict[str, Any], external: Mapping[str, Any]) -> None:
    """Replace ``context`` with the script's variables, as the stock ``TaskDataEnvironment.execute`` does."""
    variables = {key: value for key, value in scope.items() if _visible(key)}  # '_tmp' names are ours
    _require_json(variables)
    result = {key: value for key, value in context.items() if not _visible(key)}
    result.update((key, value) for key, value in variables.items() if key in context or key not in external)
    context.clear()
    context.update(result)


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """A SpiffWorkflow script environment that runs code under :class:`SandboxPolicy` within a time budget."""

    def __init__(self, time_limit: float = 1.0):
        super().__init__({})
        self.time_limit = time_limit

    def evaluate(self, expression: str, context: dict[str, Any],
                 external_context: Mapping[str, Any] | None = None) -> Any:
        """The value of ``expression`` over the task data (task data wins over ``external_context``)."""
        code = _code_for(expression, "eval")
        return _run(code, _variables(external_context, context), self.time_limit)

    def execute(self, script: str, context: dict[str, Any],
                external_context: Mapping[str, Any] | None = None) -> bool:
        """Run ``script``; on success its variables become the task data, on failure the data is unchanged."""
        code = _code_for(script, "exec")
        external = external_context or {}
        scope = copy.deepcopy(_variables(context, external))  # external wins, as in the stock environment
        _run(code, scope, self.time_limit)
        _write_back(context, scope, external)
        return True


def create_script_engine(*, time_limit: float = 1.0) -> PythonScriptEngine:
    """A script engine whose conditions, timer expressions and scripts run in the sandbox.

    Attach it to every workflow you create *and every workflow you load*: it is not serialized.
    """
    return PythonScriptEngine(environment=SandboxEnvironment(time_limit=time_limit))
