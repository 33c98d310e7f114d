"""Running code: the SpiffWorkflow script environment that evaluates and executes in the sandbox."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.script_engine import BasePythonScriptEngineEnvironment, PythonScriptEngine

from engine.sandbox.bounded import runs_in_process
from engine.sandbox.execution import run, script_variables, variables_of, visible
from engine.sandbox.policy import code_for
from engine.sandbox.pool import SandboxPool, shared_pool
from engine.sandbox.wire import Request


def _write_back(context: dict[str, Any], variables: Mapping[str, Any], external: Mapping[str, Any]) -> None:
    """Replace ``context`` with the script's variables, as the stock ``TaskDataEnvironment.execute`` does."""
    result = {key: value for key, value in context.items() if not visible(key)}
    result.update((key, value) for key, value in variables.items() if key in context or key not in external)
    context.clear()
    context.update(result)


#: Where code runs: "auto" (in the server only when its text bounds its cost: the default), "always" (every
#: evaluation in a worker) and "never" (the guards alone, as before the hard limits existed: for measuring what
#: they cost, bench/engine_step.py; never for a server).
ISOLATION = {
    "auto": runs_in_process,
    "always": lambda source, mode: False,
    "never": lambda source, mode: True,
}


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """A SpiffWorkflow script environment that runs code under :class:`SandboxPolicy` within a time budget.

    Code whose cost its text bounds (:func:`.bounded.runs_in_process`: comparisons of names and constants, the
    conditions of most gateways) runs in this process; everything else in a worker process of ``pool``, which
    enforces the budget from outside the interpreter.
    """

    def __init__(self, time_limit: float = 1.0, pool: SandboxPool | None = None, isolation: str = "auto", *,
                 clock: Callable[[], datetime] | None = None, timezone: str = "Asia/Makassar",
                 calendars: Path | None = None):
        super().__init__({})
        if isolation not in ISOLATION:
            raise ValueError(f"isolation must be one of {', '.join(ISOLATION)}, not {isolation!r}")
        self.time_limit = time_limit
        self._pool = pool
        self._in_process = ISOLATION[isolation]
        # What the date helpers (dates.py) read: the engine's clock, the default time zone, the offices' calendars.
        self._clock = clock or (lambda: datetime.now(UTC))
        self._timezone = timezone
        self._calendars = str(calendars) if calendars else None

    def _request(self, mode: str, source: str, variables: dict[str, Any]) -> Request:
        return Request(mode, source, variables, self.time_limit, self._clock().isoformat(), self._timezone,
                       self._calendars)

    @property
    def pool(self) -> SandboxPool:
        if self._pool is None:
            self._pool = shared_pool()
        return self._pool

    def evaluate(self, expression: str, context: dict[str, Any],
                 external_context: Mapping[str, Any] | None = None) -> Any:
        """The value of ``expression`` over the task data (task data wins over ``external_context``)."""
        code = code_for(expression, "eval")  # syntax and policy errors are reported before anything runs
        variables = variables_of(external_context, context)
        if self._in_process(expression, "eval"):
            return run(code, variables, self.time_limit)
        return self.pool.run(self._request("eval", expression, variables))

    def execute(self, script: str, context: dict[str, Any],
                external_context: Mapping[str, Any] | None = None) -> bool:
        """Run ``script``; on success its variables become the task data, on failure the data is unchanged."""
        code = code_for(script, "exec")
        external = external_context or {}
        variables = variables_of(context, external)  # external wins, as in the stock environment
        if self._in_process(script, "exec"):
            scope = copy.deepcopy(variables)
            run(code, scope, self.time_limit)
            result = script_variables(scope)
        else:
            result = self.pool.run(self._request("exec", script, variables))
        _write_back(context, result, external)
        return True


def create_script_engine(*, time_limit: float = 1.0, pool: SandboxPool | None = None, isolation: str = "auto",
                         clock: Callable[[], datetime] | None = None, timezone: str = "Asia/Makassar",
                         calendars: Path | None = None) -> PythonScriptEngine:
    """A script engine whose conditions, timer expressions and scripts run in the sandbox.

    Attach it to every workflow you create *and every workflow you load*: it is not serialized. ``pool``
    defaults to the process's shared pool of worker processes.
    """
    environment = SandboxEnvironment(time_limit=time_limit, pool=pool, isolation=isolation, clock=clock,
                                     timezone=timezone, calendars=calendars)
    return PythonScriptEngine(environment=environment)
