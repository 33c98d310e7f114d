"""Form patterns (JSON Schema ``pattern`` and ``patternProperties``) run on RE2, never on a backtracking engine.

Python's ``re`` backtracks: the pattern ``^(a+)+$`` against thirty ``a`` and a ``!`` runs for minutes, so one
submission could stall a server worker, and the analyst who wrote the pattern would never have noticed. RE2 matches
in time linear in the input whatever the pattern. Its price is a smaller language — no backreferences (``\\1``), no
lookaround (``(?=``, ``(?!``, ``(?<=``, ``(?<!``) — which a form rarely needs; a pattern RE2 cannot compile is refused
at deploy with where it is (``unsupported_patterns``), and one that reaches validation anyway (a form snapshotted
before this check) fails its field instead of falling back to ``re``.

jsonschema runs its patterns with ``re`` in three places: the ``pattern`` and ``patternProperties`` keywords and the
helpers that decide which properties ``patternProperties`` covers (for ``additionalProperties`` and
``unevaluatedProperties``). ``for_validation`` therefore renames ``patternProperties`` to a keyword of ours, so no
jsonschema code ever sees a form's pattern; ``safe_class`` implements both keywords and ``additionalProperties`` on
RE2. ``unevaluatedProperties`` does not know the renamed keyword, so a form combining the two is refused at deploy.
"""

from __future__ import annotations

import functools
import re

import re2
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from jsonschema.validators import extend, validator_for

from engine.forms.fields import DATA_KEYWORDS
from engine.texts import N_, Text

UNEXPECTED = "Additional properties are not allowed ("  # jsonschema's wording, which the messages read back
PATTERN_PROPERTIES = "x-lincah-patternProperties"  # patternProperties, as the validator sees it (RE2 only)
ADVICE = N_("Form patterns run on RE2 (https://github.com/google/re2/wiki/Syntax): write it without backreferences "
            "(\\1) and lookaround ((?=, (?!, (?<=, (?<!), e.g. list the alternatives or check the rule in a script")

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a refused pattern is reported to the analyst, not printed on the server's stderr
# ECMA-262 (the language JSON Schema patterns are written in) spells a code point \uXXXX or \u{X…}; RE2 \x{X…}.
_ECMA_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|u\{([0-9A-Fa-f]{1,6})\}|(.))", re.DOTALL)


class UnsupportedPattern(ValueError):
    """A pattern RE2 cannot compile; the message says why in RE2's words."""


def _to_re2(pattern: str) -> str:
    def escape(match: re.Match) -> str:
        code = match.group(1) or match.group(2)
        return f"\\x{{{code}}}" if code else match.group(0)

    return _ECMA_ESCAPE.sub(escape, pattern)


@functools.lru_cache(maxsize=1024)
def compiled(pattern: str):
    """The RE2 program of a form pattern; raises ``UnsupportedPattern`` when RE2 cannot compile it."""
    try:
        return re2.compile(_to_re2(pattern), _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise UnsupportedPattern(reason) from None


def search(pattern: str, text: str) -> bool:
    """Whether ``pattern`` matches somewhere in ``text`` (JSON Schema patterns are not anchored)."""
    return compiled(pattern).search(text) is not None


def problem(pattern) -> str | None:
    """Why RE2 cannot run ``pattern``; ``None`` when it can."""
    if not isinstance(pattern, str):
        return None  # the metaschema check reports a pattern that is not text
    try:
        compiled(pattern)
    except UnsupportedPattern as exc:
        return str(exc)
    return None


# Keywords whose values map names to schemas: a property called "pattern" is a field, not the keyword.
_NAMED_SCHEMAS = ("properties", "$defs", "definitions", "dependentSchemas")


def patterns_of(schema, path: str = ""):
    """Every pattern a schema holds, as ``(JSON pointer, pattern)``: ``pattern`` values and ``patternProperties``
    keys."""
    if isinstance(schema, list):
        for index, item in enumerate(schema):
            yield from patterns_of(item, f"{path}/{index}")
        return
    if not isinstance(schema, dict):
        return
    for keyword, value in schema.items():
        where = f"{path}/{_escape(keyword)}"
        if keyword in DATA_KEYWORDS:
            continue
        if keyword == "pattern" and isinstance(value, str):
            yield where, value
        elif keyword == "patternProperties" and isinstance(value, dict):
            for key, sub in value.items():
                yield f"{where}/{_escape(key)}", key
                yield from patterns_of(sub, f"{where}/{_escape(key)}")
        elif keyword in _NAMED_SCHEMAS and isinstance(value, dict):
            for name, sub in value.items():
                yield from patterns_of(sub, f"{where}/{_escape(name)}")
        elif isinstance(value, dict | list):
            yield from patterns_of(value, where)


def _escape(part: str) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def field_of(pointer: str) -> str:
    """The field a schema location belongs to, dotted (``/properties/address/properties/city/pattern`` →
    ``address.city``); ``(form)`` for the form itself."""
    parts = pointer.split("/")[1:]
    names = [parts[i + 1].replace("~1", "/").replace("~0", "~") for i, part in enumerate(parts[:-1])
             if part in ("properties", "patternProperties")]
    return ".".join(names) or "(form)"


def unsupported_patterns(schema: dict) -> list[str]:
    """What stops a form's patterns from running on RE2, one sentence per problem (empty when nothing does)."""
    messages = []
    for where, pattern in patterns_of(schema):
        reason = problem(pattern)
        if reason is not None:
            messages.append(Text(N_("the pattern %(pattern)s of field %(field)s (at %(path)s) cannot be used: "
                                    "%(reason)s. %(advice)s"),
                                 {"pattern": repr(pattern), "field": field_of(where), "path": where,
                                  "reason": reason, "advice": Text(ADVICE)}))
    if _has_keyword(schema, "patternProperties") and _has_keyword(schema, "unevaluatedProperties"):
        messages.append(Text(N_("the form combines unevaluatedProperties with patternProperties, which cannot be "
                                "checked safely: use additionalProperties instead of unevaluatedProperties")))
    return messages


def _has_keyword(schema, keyword: str) -> bool:
    if isinstance(schema, list):
        return any(_has_keyword(item, keyword) for item in schema)
    if not isinstance(schema, dict):
        return False
    return keyword in schema or any(_has_keyword(value, keyword) for key, value in schema.items()
                                    if key not in DATA_KEYWORDS)


def for_validation(schema):
    """``schema`` with every ``patternProperties`` renamed to ``PATTERN_PROPERTIES`` (see the module's docstring);
    the schema itself is not changed."""
    if isinstance(schema, list):
        return [for_validation(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    renamed = {}
    for keyword, value in schema.items():
        if keyword in DATA_KEYWORDS:
            renamed[keyword] = value
        elif keyword in _NAMED_SCHEMAS and isinstance(value, dict):
            renamed[keyword] = {name: for_validation(sub) for name, sub in value.items()}
        elif keyword == "patternProperties" and isinstance(value, dict):
            renamed[PATTERN_PROPERTIES] = {key: for_validation(sub) for key, sub in value.items()}
        else:
            renamed[keyword] = for_validation(value)
    return renamed


def _matches(pattern: str, text: str) -> bool | None:
    """Whether ``pattern`` matches; ``None`` when RE2 cannot run it (never ``re`` instead)."""
    try:
        return search(pattern, text)
    except UnsupportedPattern:
        return None


def _pattern(validator, pattern, instance, schema):
    if not validator.is_type(instance, "string"):
        return
    matched = _matches(pattern, instance)
    if matched is None:
        yield ValidationError("This field's format rule cannot be checked; the office must correct the form "
                              f"(pattern {pattern!r}).")
    elif not matched:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator, patterns, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            matched = _matches(pattern, key)
            if matched is None:
                yield ValidationError(f"The form's rule for field names ({pattern!r}) cannot be checked; the "
                                      "office must correct the form.")
                break
            if matched:
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(validator, allowed, instance, schema):
    """jsonschema's ``additionalProperties``, with the properties ``patternProperties`` covers found by RE2."""
    if not validator.is_type(instance, "object"):
        return
    declared = schema.get("properties") or {}
    patterns = list(schema.get(PATTERN_PROPERTIES) or {})
    extras = [key for key in instance if key not in declared
              and not any(_matches(pattern, key) for pattern in patterns)]
    if validator.is_type(allowed, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], allowed, path=extra)
    elif not allowed and extras:
        listed = ", ".join(repr(each) for each in sorted(extras))
        verb = "was" if len(extras) == 1 else "were"
        yield ValidationError(f"{UNEXPECTED}{listed} {verb} unexpected)")


_safe: dict[type, type] = {}


def safe_class(base: type) -> type:
    """``base`` (a jsonschema validator class) with its patterns on RE2; validate ``for_validation(schema)`` with it."""
    if base not in _safe:
        _safe[base] = extend(base, {"pattern": _pattern, PATTERN_PROPERTIES: _pattern_properties,
                                    "additionalProperties": _additional_properties})
    return _safe[base]


def validator(schema: dict, **kwargs):
    """A validator of ``schema`` (of the draft it declares) whose patterns run on RE2: for code that validates a
    form without the engine's other additions (``engine.forms.schemas.field_errors`` has them all)."""
    return safe_class(validator_for(schema, default=Draft202012Validator))(for_validation(schema), **kwargs)
