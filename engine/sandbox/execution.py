"""Running restricted code in the current process within one budget, and checking that what it leaves is JSON.

Both sides use this: the server for code whose cost its text bounds (:mod:`.bounded`), a sandbox worker process
(:mod:`.worker`) for everything else.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from types import CodeType
from typing import Any

from engine.errors import SandboxViolation
from engine.sandbox.budget import CURRENT_BUDGET, MAX_DATA_DEPTH, Budget
from engine.sandbox.guards import BUILTINS
from engine.workflow.serialization import RESERVED_KEY


def visible(key: Any) -> bool:
    return isinstance(key, str) and not key.startswith("_")


def variables_of(*sources: Mapping[str, Any] | None) -> dict[str, Any]:
    """The names code can see; later sources win. Names starting with '_' are unreachable anyway: left out."""
    return {key: value for source in sources if source for key, value in source.items() if visible(key)}


def run(code: CodeType, scope: dict[str, Any], time_limit: float, builtins: dict[str, Any] | None = None) -> Any:
    """Run restricted ``code`` in ``scope`` (which gains the guarded builtins, or ``builtins``) within one budget."""
    scope["__builtins__"] = BUILTINS if builtins is None else builtins
    budget = Budget(time_limit)
    token = CURRENT_BUDGET.set(budget)
    try:
        result = eval(code, scope)
    except SandboxViolation:
        raise
    except Exception as err:
        if budget.violation is not None:  # user code swallowed a refusal, then failed otherwise
            raise SandboxViolation(budget.violation) from err
        raise
    finally:
        CURRENT_BUDGET.reset(token)
    if budget.violation is not None:  # user code swallowed a refusal with try/except
        raise SandboxViolation(budget.violation)
    return result


def script_variables(scope: Mapping[str, Any]) -> dict[str, Any]:
    """What a script leaves behind for the task data: its visible variables, each checked to be JSON."""
    result = {key: value for key, value in scope.items() if visible(key)}  # '_tmp' names are ours
    require_json(result)
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
        if RESERVED_KEY in value:
            return f"has the key {RESERVED_KEY!r}, which the workflow engine reserves for its own values", []
    else:
        return f"holds a {describe(value)}", []
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


def describe(value: Any) -> str:
    """A person's word for the kind of ``value`` ("function", "tuple (use a list)", "zip object")."""
    if isinstance(value, type):
        return "type"
    if callable(value):
        return "function"
    hints = {tuple: "tuple (use a list)", set: "set (use a list)", frozenset: "set (use a list)",
             Decimal: "Decimal (store str(x) or int(x))"}
    return hints.get(type(value), f"{type(value).__name__} object")


def require_json(variables: Mapping[str, Any]) -> None:
    for name, value in variables.items():
        if name == RESERVED_KEY:
            raise SandboxViolation(f"a variable cannot be named {RESERVED_KEY!r}: the workflow engine reserves the "
                                   "name for its own values; rename it")
        problem = _json_problem(value)
        if problem is not None:
            message, path = problem
            where = name + "".join(reversed(path))
            raise SandboxViolation(
                f"variable '{name}' cannot be kept in task data: {where} {message}. Task data must be JSON "
                f"(dict, list, str, int, float, bool, None); convert it or delete it with 'del {name}'."
            )
