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
* Where: code whose cost its own text bounds (comparisons of names and constants: most gateway conditions;
  :mod:`.bounded`) runs in the server's thread. Everything else — calls, loops, comprehensions, arithmetic —
  runs in a sandbox worker process (:mod:`.pool`, :mod:`.worker`), because a built-in that loops in C
  (``all(zip(*[range(10**6)] * 300))``) passes no guard and cannot be interrupted inside one interpreter.
* Time: every guard checks a monotonic deadline (``Settings.script_time_limit``, default 1 s), so loops and
  recursion through lambdas stop with a clear message; and the server kills a worker that has not answered
  within the budget plus half a second, whatever it was doing. No signals in the server: the engine runs in
  web-server threads; the budget lives in a ``ContextVar``.
* Memory: operations that multiply sizes are checked *before* they run (integers up to 10,000 digits;
  strings, lists, dicts, sets and ranges up to 1,000,000 items; format widths up to 1,000); large results
  count against a per-evaluation allocation budget of 64 MiB; and a worker's address space is capped by
  ``RLIMIT_AS`` (128 MiB beyond its start, ``LINCAH_SCRIPT_MEMORY_MB``), its CPU time by ``RLIMIT_CPU``.
  A worker that overran, ran out of memory or died is replaced; the evaluation fails with
  :class:`SandboxViolation`, and the server thread and its other requests never notice.
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

from engine.sandbox.bounded import runs_in_process
from engine.sandbox.budget import MAX_ALLOCATED_BYTES, MAX_DATA_DEPTH, MAX_FORMAT_WIDTH, MAX_INT_DIGITS, MAX_ITEMS
from engine.sandbox.environment import SandboxEnvironment, create_script_engine
from engine.sandbox.guards import SAFE_FUNCTIONS
from engine.sandbox.policy import SandboxPolicy, _compile, check_expression, check_script
from engine.sandbox.pool import SandboxPool, shared_pool

__all__ = [
    "MAX_ALLOCATED_BYTES", "MAX_DATA_DEPTH", "MAX_FORMAT_WIDTH", "MAX_INT_DIGITS", "MAX_ITEMS", "SAFE_FUNCTIONS",
    "SandboxEnvironment", "SandboxPolicy", "SandboxPool", "_compile", "check_expression", "check_script",
    "create_script_engine", "runs_in_process", "shared_pool",
]
