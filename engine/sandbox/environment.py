"""Running code: the SpiffWorkflow script environment that evaluates and executes in the sandbox."""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping
from types import CodeType
from typing import Any

from SpiffWorkflow.bpmn.script_engine import BasePythonScriptEngineEnvironment, PythonScriptEngine

from ..errors import SandboxViolation
from ..serialization import RESERVED_KEY
from .budget import CURRENT_BUDGET, MAX_DATA_DEPTH, Budget
from .guards import BUILTINS
from .policy import code_for

# --- running ------------------------------------------------------------------------------------------------


def _visible(key: Any) -> bool:
    return isinstance(key, str) and not key.startswith("_")


def _variables(*sources: Mapping[str, Any] | None) -> dict[str, Any]:
    """The names code can see; later sources win. Names starting with '_' are unreachable anyway: left out."""
    return {key: value for source in sources if source for key, value in source.items() if _visible(key)}


def _run(code: CodeType, scope: dict[str, Any], time_limit: float) -> Any:
    """Run restricted ``code`` in ``scope`` (which gains the guarded builtins) within one budget."""
    scope["__builtins__"] = BUILTINS
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
        code = code_for(expression, "eval")
        return _run(code, _variables(external_context, context), self.time_limit)

    def execute(self, script: str, context: dict[str, Any],
                external_context: Mapping[str, Any] | None = None) -> bool:
        """Run ``script``; on success its variables become the task data, on failure the data is unchanged."""
        code = code_for(script, "exec")
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
