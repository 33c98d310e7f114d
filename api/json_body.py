"""The JSON bodies the API accepts: strict JSON that the engine can store exactly as it was sent.

Python's ``json`` module reads more than JSON (``NaN``, ``Infinity``), turns ``1e400`` into infinity, keeps
integers of any size and lone UTF-16 surrogates (``"\\ud800"``), and fails with ``RecursionError`` or ``ValueError``
on very deep or very long input. None of these can be stored: the workflow state is written by orjson (64-bit
integers, finite numbers, valid UTF-8, nesting below 255 levels including the engine's own), and no text column
takes a NUL. Each would surface as a 500 far from the request, or be stored as something else (NaN becomes null).
So every JSON body is read here first: malformed or too deeply nested JSON is a 400, and a value that is JSON but
cannot be kept is a 422 naming its field (``data.gross_tonnage``), before any view or the engine sees it.

``Blueprint`` is flask-smorest's with this parser; every API blueprint uses it.
"""

from __future__ import annotations

import json
import math

import flask_smorest
from flask import Request
from marshmallow import ValidationError
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request

# Form data is a few levels deep (an attachment reference inside a field); the workflow state adds about ten more.
MAX_DEPTH = 32
MIN_INT, MAX_INT = -(2**63), 2**63 - 1
# Longer digit strings are out of range anyway; Python refuses to convert more than 4,300 digits.
MAX_DIGITS = 20


class _Unstorable:
    """A parsed value that is not kept: the walk below reports it with its field's path."""

    def __init__(self, message: str):
        self.message = message


_INTEGER = f"Use a whole number from {MIN_INT} to {MAX_INT}, or send the value as text."
_NUMBER = "Use a finite number; NaN and Infinity are not JSON numbers."
_HUGE = "This number is too large to keep exactly; use a smaller number, or send the value as text."


def _parse_int(text: str):
    if len(text.lstrip("-")) > MAX_DIGITS:
        return _Unstorable(_INTEGER)
    value = int(text)
    return value if MIN_INT <= value <= MAX_INT else _Unstorable(_INTEGER)


def _parse_float(text: str):
    value = float(text)
    return value if math.isfinite(value) else _Unstorable(_HUGE)


def _parse_constant(_name: str):
    return _Unstorable(_NUMBER)


def _text_problem(text: str, what: str = "Text") -> str | None:
    if "\x00" in text:
        return f"{what} may not contain NUL (\\u0000) characters."
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return f"{what} must be valid Unicode: a \\ud800–\\udfff escape must be half of a surrogate pair."
    return None


def _problems(value, path: str, depth: int, found: dict[str, list[str]]) -> None:
    where = path or "(form)"
    if isinstance(value, _Unstorable):
        found[where] = [value.message]
    elif isinstance(value, str):
        problem = _text_problem(value)
        if problem:
            found[where] = [problem]
    elif isinstance(value, dict | list):
        if depth >= MAX_DEPTH:
            found[where] = [f"This value is nested too deeply (more than {MAX_DEPTH} levels of objects and lists)."]
            return
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            name = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and (problem := _text_problem(key, "A field name")):
                found[where] = [problem]
                continue
            _problems(item, name, depth + 1, found)


def load(body: bytes):
    """Parse a request body; raises ``json.JSONDecodeError`` / ``UnicodeDecodeError`` for what is not JSON,
    ``ValidationError`` naming the fields whose values cannot be stored."""
    text = body.decode("utf-8")
    try:
        value = json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant)
    except RecursionError:
        raise json.JSONDecodeError(f"nested too deeply (at most {MAX_DEPTH} levels of objects and lists)", text,
                                   0) from None
    found: dict[str, list[str]] = {}
    _problems(value, "", 0, found)
    if found:
        raise ValidationError(found)
    return value


class StrictJsonParser(FlaskParser):
    def _raw_load_json(self, req: Request):
        if not is_json_request(req):
            return core.missing
        return load(req.get_data(cache=True))

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        where = f" (line {error.lineno}, column {error.colno})" if isinstance(error, json.JSONDecodeError) else ""
        reason = error.msg if isinstance(error, json.JSONDecodeError) else "the body is not UTF-8 text"
        abort(400, exc=error, messages={"json": [f"Invalid JSON body: {reason}{where}."]})


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = StrictJsonParser()

    def arguments(self, schema, *args, **kwargs):
        # One schema object for every request: given the class, webargs builds a new one per request (deep-copying
        # its fields), a quarter of a millisecond of CPU on every inbox page and completion.
        return super().arguments(schema() if isinstance(schema, type) else schema, *args, **kwargs)
