"""spiff-arena's script unit tests, run at lint and deploy in the sandbox that runs the scripts in production.

A spiff-arena script task may carry ``spiffworkflow:unitTests``: for each test, the task data the script is given
(``inputJson``) and the data it must leave (``expectedOutputJson``). spiff-arena's test runner runs the script on a
copy of the input and compares the *whole* resulting data with the expected output; so does this module, with the
script engine of the workflows (``EngineContext.script_engine``): its time and memory limits, its builtins, its date
helpers and its refusals apply to a test as to a running file, so a test passes here only if the script would
behave so for a real file.

**A failing test is an error: the deploy is refused.** The analyst wrote the test to say what the script must do;
a script that no longer does it computes a wrong value (a fee, a route) for every file that reaches it, and once
files run on a version, what the script wrote into them cannot be taken back. spiff-arena's own process-model test
runner fails the build on a failing test for the same reason; the deploy is the one gate Lincah has before files
run, so the test is checked there. A stale test costs the analyst an edit of the expected output; a wrong script
deployed costs applicants. A script that raises fails its test with its message (it would stop the file); a test
that cannot be run because of Lincah's bound on their number is a warning, since nothing shows the script wrong.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from engine.bpmn.problems import ProblemList
from engine.bpmn.spiff_flavour import ScriptUnitTest
from engine.texts import N_

# At most this many tests run per lint, and for at most this long in all: each test is bounded by the sandbox's own
# limits (1 s by default), the bound keeps a diagram with thousands of tests from holding a deploy for minutes.
MAX_TESTS = 100
MAX_SECONDS = 20.0
_SHOWN_DIFFERENCES = 4
_SHOWN_VALUE = 60  # characters of a value quoted in a problem


def run(tests: list[ScriptUnitTest], environment, problems: ProblemList, check_script: Callable[[str], str | None],
        *, clock: Callable[[], float] = time.monotonic) -> None:
    """Run ``tests`` with ``environment`` (a :class:`engine.sandbox.SandboxEnvironment`); a failure is a located
    error, the passes of each script task one info. A test of a script the sandbox refuses is not run: the script's
    own problem is reported by lint already, where it is written."""
    passed: dict[tuple[str, str], list[ScriptUnitTest]] = {}
    runnable = [test for test in tests if not check_script(test.script)]
    deadline = clock() + MAX_SECONDS
    skipped = runnable[MAX_TESTS:]
    for index, test in enumerate(runnable[:MAX_TESTS]):
        if clock() > deadline:
            skipped = runnable[index:]
            break
        failure = _failure(test, environment)
        if failure is None:
            passed.setdefault((test.file, test.element_id), []).append(test)
            continue
        text, params = failure
        problems.error("spiff_unit_test_failed", text, file=test.file, line=test.line, element_id=test.element_id,
                       params={"test": repr(test.test_id), "name": test.element_name, **params})
    for (filename, element_id), passes in passed.items():
        problems.info("spiff_unit_tests_passed",
                      N_("%(count)s spiff-arena unit test(s) of %(name)s passed in Lincah's sandbox (%(tests)s)."),
                      file=filename, line=passes[0].line, element_id=element_id,
                      params={"count": len(passes), "name": passes[0].element_name,
                              "tests": ", ".join(test.test_id for test in passes)})
    if skipped:
        first = skipped[0]
        problems.warning("spiff_unit_tests_not_run",
                         N_("%(count)s spiff-arena unit test(s) were not run, from %(test)s of %(name)s on: a deploy "
                            "runs at most %(limit)s tests for at most %(seconds)s seconds. Move tests into fewer, "
                            "broader cases."),
                         file=first.file, line=first.line, element_id=first.element_id,
                         params={"count": len(skipped), "test": repr(first.test_id), "name": first.element_name,
                                 "limit": MAX_TESTS, "seconds": int(MAX_SECONDS)})


def _failure(test: ScriptUnitTest, environment) -> tuple[str, dict] | None:
    """None when the script, run on a copy of the test's input, leaves exactly the expected data; else the problem."""
    data = copy.deepcopy(test.given)
    try:
        environment.execute(test.script, data)
    except Exception as exc:  # noqa: BLE001 — whatever the script raises (or the sandbox refuses) fails the test
        return (N_("Unit test %(test)s of %(name)s fails: the script stops with %(error)s on the input of the test. "
                   "Correct the script, or the test's inputJson."),
                {"error": _shown(f"{type(exc).__name__}: {exc}", 200)})
    try:
        differences = describe_differences(test.expected, data)
    except RecursionError:
        differences = "the expected output is nested too deeply to compare"
    if not differences:
        return None
    return (N_("Unit test %(test)s of %(name)s fails: the script leaves data other than the expected output — "
               "%(differences)s. Correct the script, or the test's expectedOutputJson if the script is right."),
            {"differences": differences})


def describe_differences(expected: Mapping[str, Any], got: Mapping[str, Any]) -> str:
    """Which keys differ between the expected and the resulting data, with both values (the first few)."""
    said = []
    for key in sorted(set(expected) | set(got)):
        if key not in got:
            said.append(f"{key}: expected {_value(expected[key])}, the script left none")
        elif key not in expected:
            said.append(f"{key}: not expected, the script set {_value(got[key])}")
        elif not _same(expected[key], got[key]):
            said.append(f"{key}: expected {_value(expected[key])}, got {_value(got[key])}")
    if len(said) > _SHOWN_DIFFERENCES:
        said = [*said[:_SHOWN_DIFFERENCES], f"and {len(said) - _SHOWN_DIFFERENCES} more"]
    return "; ".join(said)


def _same(expected: Any, got: Any) -> bool:
    """Equal as JSON values: ``1`` and ``1.0`` are the same number, but ``1`` and ``true`` are not, though Python
    says they are equal (a flag the script sets must be a flag)."""
    if isinstance(expected, bool) or isinstance(got, bool):
        return type(expected) is type(got) and expected == got
    if isinstance(expected, dict) and isinstance(got, dict):
        return expected.keys() == got.keys() and all(_same(expected[k], got[k]) for k in expected)
    if isinstance(expected, list) and isinstance(got, list):
        return len(expected) == len(got) and all(_same(e, g) for e, g in zip(expected, got, strict=True))
    if isinstance(expected, int | float) and isinstance(got, int | float):
        return expected == got
    return type(expected) is type(got) and expected == got


def _value(value: Any) -> str:
    return _shown(json.dumps(value, ensure_ascii=False, sort_keys=True, default=repr), _SHOWN_VALUE)


def _shown(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
