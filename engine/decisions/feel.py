"""FEEL as Camunda Modeler writes it in decision tables, read by a small parser of our own and evaluated directly.

SpiffWorkflow's DMN engine hands every cell to Python's ``eval``: ``"a","b"`` becomes a tuple that never matches,
``[1..10]``, ``not("x")`` and ``date("2026-01-01")`` do not parse, and a cell is code. Here a cell is data: it is
parsed once (at deploy, where anything unsupported becomes a located problem) into a small tree of tuples, and that
tree is walked in Python — no ``eval``, no names but the decision's inputs, bounded by the length of the text.

What is read:

* *simple unary tests* (input entries): ``-`` (anything), ``null``, ``< 10``, ``<= x``, ``> date("2026-01-01")``,
  ``= "a"``, ``!= "a"``, intervals ``[1..10]``, ``]1..10[``, ``(1..10)``, lists ``"a","b"``, ``not("x", "y")``;
  an endpoint is a number, a string, ``true``/``false``, ``null``, ``date("…")``, ``date and time("…")`` or a
  variable name (``applicant.type``);
* *simple expressions* (input expressions, output entries): the same literals and names, ``+ - * /`` and
  parentheses. Anything else (function calls, ``if``, ``?``, filters) is refused with :class:`FeelError`.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from engine.decisions import types

MAX_TEXT = 2_000
MAX_DEPTH = 32
MAX_STRING = 100_000

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>\d+(?:\.\d+)?|\.\d+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<datetime>date\s+and\s+time(?=\s*\())
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\.\.|<=|>=|!=|<|>|=|\[|\]|\(|\)|,|\+|-|\*|/|\.)
""", re.VERBOSE)

_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "'": "'"}


class FeelError(ValueError):
    """Text that is not the FEEL this module reads; the message says what was expected."""


def _tokens(text: str) -> list[tuple[str, str]]:
    if len(text) > MAX_TEXT:
        raise FeelError(f"the expression is longer than {MAX_TEXT} characters")
    found, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise FeelError(f"unexpected {text[position]!r} at position {position + 1}")
        position = match.end()
        kind = match.lastgroup
        if kind != "space":
            found.append((kind, match.group()))
    return found


def _unquote(token: str) -> str:
    body, out, index = token[1:-1], [], 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            index += 1
            out.append(_ESCAPES.get(body[index], body[index]))
        else:
            out.append(char)
        index += 1
    return "".join(out)


class _Reader:
    def __init__(self, text: str):
        self.tokens = _tokens(text)
        self.at = 0
        self.depth = 0

    def peek(self, offset: int = 0) -> tuple[str, str] | None:
        index = self.at + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def next(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise FeelError("the expression ends too early")
        self.at += 1
        return token

    def accept(self, value: str) -> bool:
        token = self.peek()
        if token is not None and token[0] in ("op", "name") and token[1] == value:
            self.at += 1
            return True
        return False

    def expect(self, value: str) -> None:
        if not self.accept(value):
            token = self.peek()
            raise FeelError(f"expected {value!r} but found {token[1]!r}" if token else f"expected {value!r} at the end")

    def done(self) -> None:
        token = self.peek()
        if token is not None:
            raise FeelError(f"unexpected {token[1]!r}")

    # -- shared: literals and names
    def literal_or_name(self):
        """A literal ``("lit", value)`` or a variable ``("var", (name, …))``; ``-`` before a number negates it."""
        kind, value = self.next()
        if kind == "op" and value == "-":
            number = self.peek()
            if number is None or number[0] != "number":
                raise FeelError("'-' must be followed by a number here")
            self.at += 1
            return ("lit", -_number(number[1]))
        if kind == "number":
            return ("lit", _number(value))
        if kind == "string":
            return ("lit", _string(_unquote(value)))
        if kind == "datetime":
            return ("lit", self._temporal(date_time=True))
        if kind == "name":
            if value in ("true", "false"):
                return ("lit", value == "true")
            if value == "null":
                return ("lit", None)
            if value == "date" and self.peek() == ("op", "("):
                return ("lit", self._temporal(date_time=False))
            if value in _KEYWORDS or (self.peek() == ("op", "(")):
                raise FeelError(f"{value!r} is not supported here (only literals, variable names and + - * /)")
            path = [value]
            while self.accept("."):
                kind, part = self.next()
                if kind != "name":
                    raise FeelError(f"expected a name after '.', found {part!r}")
                path.append(part)
            return ("var", tuple(path))
        raise FeelError(f"unexpected {value!r}")

    def _temporal(self, *, date_time: bool):
        self.expect("(")
        kind, value = self.next()
        if kind != "string":
            raise FeelError("date(…) takes a quoted text, e.g. date(\"2026-01-01\")")
        self.expect(")")
        text = _unquote(value)
        try:
            return types.parse_datetime(text) if date_time else types.parse_date(text)
        except ValueError as exc:
            raise FeelError(f"{text!r} is not a valid {'date and time' if date_time else 'date'}") from exc


_KEYWORDS = {"if", "then", "else", "for", "in", "some", "every", "satisfies", "and", "or", "not", "function",
             "instance", "of", "between"}


def _number(text: str):
    return int(text) if text.isdigit() else Decimal(text)


def _string(text: str) -> str:
    if len(text) > MAX_STRING:
        raise FeelError(f"a text longer than {MAX_STRING} characters")
    return text


# -- unary tests -------------------------------------------------------------------------------------------------

ANY = ("any",)


def parse_unary_tests(text: str | None):
    """The tree of an input entry: ``("any",)``, ``("not", [test…])`` or ``("or", [test…])`` where a test is
    ``("cmp", op, endpoint)`` or ``("range", low_closed, low, high, high_closed)``. Raises :class:`FeelError`."""
    text = (text or "").strip()
    if text in ("", "-"):
        return ANY
    reader = _Reader(text)
    if reader.peek() == ("name", "not") and reader.peek(1) == ("op", "("):
        reader.at += 2
        tests = _positive_tests(reader)
        reader.expect(")")
        reader.done()
        return ("not", tests)
    tests = _positive_tests(reader)
    reader.done()
    return ("or", tests)


def _positive_tests(reader: _Reader) -> list:
    tests = [_positive_test(reader)]
    while reader.accept(","):
        tests.append(_positive_test(reader))
    return tests


def _positive_test(reader: _Reader):
    token = reader.peek()
    if token is None:
        raise FeelError("an empty test")
    if token[0] == "op" and token[1] in ("<", "<=", ">", ">=", "=", "!="):
        reader.at += 1
        return ("cmp", token[1], reader.literal_or_name())
    if token[0] == "op" and token[1] in ("[", "]", "("):
        reader.at += 1
        low = reader.literal_or_name()
        reader.expect("..")
        high = reader.literal_or_name()
        closing = reader.next()
        if closing not in (("op", "]"), ("op", "["), ("op", ")")):
            raise FeelError(f"an interval ends with ']', '[' or ')', not {closing[1]!r}")
        return ("range", token[1] == "[", low, high, closing[1] == "]")
    if token == ("op", "-") and reader.peek(1) is None:
        raise FeelError("'-' (any value) must stand alone in the cell")
    return ("cmp", "=", reader.literal_or_name())


def endpoints(tree) -> list:
    """Every endpoint (``("lit", v)`` / ``("var", path)``) of a unary-test tree."""
    if tree == ANY:
        return []
    found = []
    for test in tree[1]:
        if test[0] == "cmp":
            found.append(test[2])
        else:
            found.extend((test[2], test[3]))
    return found


def matches(tree, value, variables, type_ref: str | None = None) -> bool:
    """Does ``value`` pass the unary tests ``tree``? ``variables`` resolve the names an endpoint uses; their values
    are read as the column's ``type_ref``, as the input is (a date kept as text compares as a date)."""
    if tree == ANY:
        return True
    kind, tests = tree
    hit = any(_passes(test, value, variables, type_ref) for test in tests)
    return not hit if kind == "not" else hit


def _passes(test, value, variables, type_ref) -> bool:
    if test[0] == "cmp":
        other = _endpoint(test[2], variables, type_ref)
        op = test[1]
        if op in ("=", "!="):
            same = _equal(value, other)
            return same if op == "=" else not same and value is not None and other is not None
        return _compare(value, other, op)
    _, low_closed, low, high, high_closed = test
    return (_compare(value, _endpoint(low, variables, type_ref), ">=" if low_closed else ">")
            and _compare(value, _endpoint(high, variables, type_ref), "<=" if high_closed else "<"))


def _endpoint(node, variables, type_ref):
    if node[0] == "lit":
        return node[1]
    try:
        return types.coerce(lookup(variables, node[1]), type_ref)
    except types.TypeMismatch:
        return None


def lookup(variables, path: tuple):
    """A (dotted) variable of ``variables``; a missing one is FEEL's ``null``."""
    current = variables
    for part in path:
        if not isinstance(current, dict) or part not in current:
            return None
        current = current[part]
    return current


def _comparable(left, right) -> bool:
    if left is None or right is None:
        return False
    if types.is_number(left) and types.is_number(right):
        return True
    if isinstance(left, datetime) or isinstance(right, datetime):
        return isinstance(left, datetime) and isinstance(right, datetime)
    for kind in (bool, str, date):
        if isinstance(left, kind) and isinstance(right, kind):
            return True
    return False


def _equal(left, right) -> bool:
    if left is None or right is None:
        return left is None and right is None
    return _comparable(left, right) and types.comparable_value(left) == types.comparable_value(right)


def _compare(left, right, op: str) -> bool:
    if not _comparable(left, right) or isinstance(left, bool):
        return False
    left, right = types.comparable_value(left), types.comparable_value(right)
    try:
        if op == "<":
            return left < right
        if op == "<=":
            return left <= right
        if op == ">":
            return left > right
        return left >= right
    except TypeError:  # an aware and a naive date and time
        return False


# -- simple expressions ------------------------------------------------------------------------------------------

def parse_expression(text: str | None):
    """The tree of an input expression or output entry: ``("lit", v)``, ``("var", path)``, ``("neg", e)`` or
    ``(op, left, right)`` for ``+ - * /``; an empty text is ``null``. Raises :class:`FeelError`."""
    text = (text or "").strip()
    if not text:
        return ("lit", None)
    reader = _Reader(text)
    tree = _sum(reader)
    reader.done()
    return tree


def _sum(reader: _Reader):
    tree = _product(reader)
    while True:
        token = reader.peek()
        if token in (("op", "+"), ("op", "-")):
            reader.at += 1
            tree = (token[1], tree, _product(reader))
        else:
            return tree


def _product(reader: _Reader):
    tree = _unary(reader)
    while True:
        token = reader.peek()
        if token in (("op", "*"), ("op", "/")):
            reader.at += 1
            tree = (token[1], tree, _unary(reader))
        else:
            return tree


def _unary(reader: _Reader):
    reader.depth += 1
    if reader.depth > MAX_DEPTH:
        raise FeelError(f"the expression nests deeper than {MAX_DEPTH} levels")
    try:
        if reader.accept("-"):
            return ("neg", _unary(reader))
        if reader.accept("("):
            tree = _sum(reader)
            reader.expect(")")
            return tree
        return reader.literal_or_name()
    finally:
        reader.depth -= 1


def evaluate(tree, variables):
    """The value of an expression tree; ``null`` where FEEL gives null (an operand is null or of the wrong type, a
    division by zero)."""
    kind = tree[0]
    if kind == "lit":
        return tree[1]
    if kind == "var":
        return lookup(variables, tree[1])
    if kind == "neg":
        value = evaluate(tree[1], variables)
        return -value if types.is_number(value) else None
    left, right = evaluate(tree[1], variables), evaluate(tree[2], variables)
    if kind == "+" and isinstance(left, str) and isinstance(right, str):
        return _string(left + right)
    if not (types.is_number(left) and types.is_number(right)):
        return None
    left, right = types.comparable_value(left), types.comparable_value(right)
    if kind == "+":
        return types.tidy_number(left + right)
    if kind == "-":
        return types.tidy_number(left - right)
    if kind == "*":
        return types.tidy_number(left * right)
    if right == 0:
        return None
    return types.tidy_number(Decimal(left) / Decimal(right))
