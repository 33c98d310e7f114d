"""The script sandbox: escapes fail inside real workflows, ordinary BPMN code still works, limits hold.

Every escape is run the way the engine runs it (a parsed diagram, ``BpmnWorkflow``, ``do_engine_steps``), and
the ones that would start a shell point it at a marker file in ``tmp_path`` that must not appear.
"""

from __future__ import annotations

import threading
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine import sandbox
from engine.errors import SandboxViolation
from engine.sandbox import SAFE_FUNCTIONS, check_expression, check_script, create_script_engine

NAMESPACES = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'
)
FAST = 0.2  # seconds; enough for every ordinary test script, short for the runaway ones


# --- tiny diagrams ------------------------------------------------------------------------------------------


def _spec(flow_elements: str):
    xml = (f'<bpmn:definitions {NAMESPACES} id="defs" targetNamespace="http://lincah.test">'
           f'<bpmn:process id="p" isExecutable="true">{flow_elements}</bpmn:process></bpmn:definitions>')
    parser = CamundaParser()
    parser.add_bpmn_xml(etree.fromstring(xml.encode()), filename="sandbox_test.bpmn")
    return parser.get_spec("p")


def _chain(*elements: str) -> str:
    """Elements (with ids e0, e1, ...) joined by sequence flows."""
    flows = "".join(f'<bpmn:sequenceFlow id="f{i}" sourceRef="e{i}" targetRef="e{i + 1}"/>'
                    for i in range(len(elements) - 1))
    return "".join(element.format(id=f"e{i}") for i, element in enumerate(elements)) + flows


START, END = '<bpmn:startEvent id="{id}"/>', '<bpmn:endEvent id="{id}"/>'


def _text(code: str) -> str:
    """``code`` as XML text that survives ``_chain``'s ``str.format``."""
    return escape(code).replace("{", "{{").replace("}", "}}")


def _script_task(script: str) -> str:
    return (f'<bpmn:scriptTask id="{{id}}" scriptFormat="python"><bpmn:script>{_text(script)}</bpmn:script>'
            "</bpmn:scriptTask>")


def script_process(script: str):
    """start -> script task ``e1`` -> end."""
    return _spec(_chain(START, _script_task(script), END))


def review_then_script_process(script: str):
    """start -> user task ``e1`` -> script task ``e2`` -> end: the workflow can be saved while it waits."""
    return _spec(_chain(START, '<bpmn:userTask id="{id}" name="Review"/>', _script_task(script), END))


def gateway_process(condition: str):
    """start -> gateway: ``condition`` leads to end event ``approved``, the default flow to ``rejected``."""
    return _spec(
        '<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="decide"/>'
        '<bpmn:exclusiveGateway id="decide" default="otherwise"/>'
        '<bpmn:sequenceFlow id="when" sourceRef="decide" targetRef="approved">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(condition)}'
        '</bpmn:conditionExpression></bpmn:sequenceFlow>'
        '<bpmn:sequenceFlow id="otherwise" sourceRef="decide" targetRef="rejected"/>'
        '<bpmn:endEvent id="approved"/><bpmn:endEvent id="rejected"/>'
    )


def timer_process(expression: str):
    """start -> intermediate timer whose duration is ``expression`` -> end."""
    timer = ('<bpmn:intermediateCatchEvent id="{id}"><bpmn:timerEventDefinition>'
             f'<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{_text(expression)}</bpmn:timeDuration>'
             "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>")
    return _spec(_chain(START, timer, END))


def start(spec, data: dict | None = None, engine: PythonScriptEngine | None = None) -> BpmnWorkflow:
    workflow = BpmnWorkflow(spec, script_engine=engine or create_script_engine(time_limit=FAST))
    workflow.get_tasks(state=TaskState.READY)[0].data.update(data or {})
    return workflow


def run(spec, data: dict | None = None, engine: PythonScriptEngine | None = None) -> BpmnWorkflow:
    workflow = start(spec, data, engine)
    workflow.do_engine_steps()
    return workflow


def refusal(spec, data: dict | None = None, engine: PythonScriptEngine | None = None) -> SandboxViolation:
    """Run a workflow that must fail inside the sandbox; the SandboxViolation SpiffWorkflow wrapped."""
    with pytest.raises(WorkflowTaskException) as caught:
        run(spec, data, engine)
    assert caught.value.error_type == "SandboxViolation", caught.value
    assert isinstance(caught.value.__context__, SandboxViolation)
    return caught.value.__context__


def final_data(workflow: BpmnWorkflow) -> dict:
    assert workflow.is_completed()
    return workflow.get_tasks(spec_name="e2")[0].data


# --- escapes ------------------------------------------------------------------------------------------------

# Under the stock engine each of these runs `touch MARKER` or reaches interpreter internals, except the last
# three, which probe the sandbox's own names and its run-time attribute whitelist.
ESCAPE_EXPRESSIONS = {
    "import builtin": "__import__('os').system('touch MARKER')",
    "subclasses walk": (
        "[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'catch_warnings'][0]()"
        "._module.__builtins__['__import__']('os').system('touch MARKER')"
    ),
    "mro walk": "[c for c in ().__class__.__mro__[1].__subclasses__()]",
    "getattr": "getattr(getattr((), '__class__'), '__base__')",
    "format attribute": "'{0.__class__}'.format(1)",
    "str.format": "str.format('{0.__class__.__base__}', 1)",
    "format_map": "'{x.__class__}'.format_map({'x': 1})",
    "generator frame": (
        "(x for x in []).gi_frame.f_globals['__builtins__']['__import__']('os').system('touch MARKER')"
    ),
    "lambda globals": "(lambda: 0).__globals__['__builtins__']['__import__']('os').system('touch MARKER')",
    "open": "open('MARKER', 'w')",
    "eval": "eval(\"__import__('os').system('touch MARKER')\")",
    "compile": "eval(compile(\"__import__('os').system('touch MARKER')\", 'x', 'eval'))",
    "globals": "globals()['__builtins__']['__import__']('os').system('touch MARKER')",
    "type": "type(()).__base__.__subclasses__()",
    "vars": "vars()",
    "f-string attribute": "f'{().__class__.__base__}'",
    "guard name": "_getattr_((), '__class__')",
    "method outside whitelist": "'MARKER'.encode().decode()",
    "type attribute": "int.from_bytes(b'1', 'big')",
}
ESCAPE_SCRIPTS = {
    **{name: f"x = {code}" for name, code in ESCAPE_EXPRESSIONS.items()},
    "import": "import os\nos.system('touch MARKER')",
    "from import": "from os import system\nsystem('touch MARKER')",
    "exec": "exec(\"__import__('os').system('touch MARKER')\")",
    "traceback frame": (
        "try:\n    1 / 0\nexcept ZeroDivisionError as e:\n"
        "    e.__traceback__.tb_frame.f_globals['__builtins__']['__import__']('os').system('touch MARKER')"
    ),
    "class": "class Escape:\n    pass\nx = Escape.__subclasses__()",
    "def": "def escape():\n    return 1\nx = escape()",
    "attribute assignment": "d = {}\nd.get = 1",
    "write into a str": "s = 'abc'\ns[0] = 'x'",
}


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "escaped"


def _aimed(code: str, marker: Path) -> str:
    return code.replace("MARKER", str(marker))


@pytest.mark.parametrize("code", ESCAPE_SCRIPTS.values(), ids=ESCAPE_SCRIPTS.keys())
def test_escape_from_a_script_task_is_refused(code, marker):
    refusal(script_process(_aimed(code, marker)))
    assert not marker.exists()


@pytest.mark.parametrize("code", ESCAPE_EXPRESSIONS.values(), ids=ESCAPE_EXPRESSIONS.keys())
def test_escape_from_a_gateway_condition_is_refused(code, marker):
    refusal(gateway_process(_aimed(code, marker)))
    assert not marker.exists()


def test_escape_from_a_timer_expression_is_refused(marker):
    expression = f"__import__('os').system('touch {marker}') or 'PT1H'"
    refusal(timer_process(expression))
    assert not marker.exists()


def test_refusal_names_the_element_and_the_reason():
    with pytest.raises(WorkflowTaskException) as caught:
        run(script_process("total = 1\nsecret = ().__class__"))
    assert caught.value.task_spec.name == "e1"
    assert "line 2: names starting with '_' are not allowed: __class__" in str(caught.value)


def _saved_waiting_at_review(script: str) -> dict:
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG))
    workflow = run(review_then_script_process(script))
    assert [task.task_spec.name for task in workflow.get_tasks(state=TaskState.READY)] == ["e1"]
    return serializer.to_dict(workflow)


def _load_and_continue(saved: dict, engine: PythonScriptEngine | None) -> BpmnWorkflow:
    workflow = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG)).from_dict(saved)
    if engine is not None:
        workflow.script_engine = engine
    workflow.get_tasks(state=TaskState.READY, spec_name="e1")[0].run()
    workflow.do_engine_steps()
    return workflow


def test_sandbox_holds_after_a_save_and_load_only_when_the_engine_is_reattached(marker):
    saved = _saved_waiting_at_review(f"__import__('os').system('touch {marker}')")

    with pytest.raises(WorkflowTaskException) as caught:
        _load_and_continue(saved, create_script_engine())
    assert isinstance(caught.value.__context__, SandboxViolation)
    assert not marker.exists()

    # What persistence must never do: the loaded workflow has the stock engine, which runs the shell command.
    unguarded = _load_and_continue(saved, engine=None)
    assert type(unguarded.script_engine.environment) is TaskDataEnvironment
    assert unguarded.is_completed()
    assert marker.exists()


# --- ordinary BPMN code keeps working -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "route"),
    [({"amount": 1500, "applicant_type": "student"}, "approved"),
     ({"amount": 1500, "applicant_type": "company"}, "rejected"),
     ({"amount": 900, "applicant_type": "student"}, "rejected")],
)
def test_gateway_condition_routes_the_application(data, route):
    workflow = run(gateway_process("amount > 1000 and applicant_type == 'student'"), data)
    assert workflow.is_completed()
    assert [task.task_spec.name for task in workflow.get_tasks(state=TaskState.COMPLETED)
            if task.task_spec.name in ("approved", "rejected")] == [route]


@pytest.mark.parametrize(
    "condition",
    [
        "len(items) == 2 and sum(i['qty'] for i in items) == 5",
        "[i['name'].upper() for i in items if i['qty'] > 2] == ['NET']",
        "{i['name']: i['qty'] for i in items}.get('rope') == 2",
        "applicant.get('district', 'unknown') == 'Sinjai'",
        "'%s/%04d' % (applicant['district'], 7) == 'Sinjai/0007'",
        "f\"{applicant['district']!r:>10}|{1234567:,}\" == \"  'Sinjai'|1,234,567\"",
        "sorted(items, key=lambda i: -i['qty'])[0]['name'] == 'net'",
        "max(i['qty'] for i in items) == 3 and min([4, 2]) == 2 and abs(-1) == 1 and round(2.567, 1) == 2.6",
        "isinstance(items, list) and isinstance(amount, (int, float)) and not isinstance(amount, str)",
        "any(i['qty'] > 2 for i in items) and all(i['qty'] > 0 for i in items)",
        "list(zip([1, 2], 'ab')) == [(1, 'a'), (2, 'b')] and dict(enumerate('xy')) == {0: 'x', 1: 'y'}",
        "int('12') + float('0.5') == 12.5 and str(5) == '5' and bool([]) is False",
        "sorted(set([3, 1, 3])) == [1, 3] and tuple(range(3)) == (0, 1, 2)",
        "[*items, *items][2]['name'] == 'rope' and {**applicant, 'x': 1}['x'] == 1",
        "submitted_on >= '2026-01-01' and submitted_on[:4] == '2026'",
        "', '.join(i['name'] for i in items) == 'rope, net' and 'a-b'.replace('-', '+') == 'a+b'",
        "2 ** 10 == 1024 and 'ab' * 2 == 'abab' and [0] * 3 == [0, 0, 0] and 1 << 4 == 16 and 7 % 3 == 1",
    ],
)
def test_ordinary_conditions_evaluate(condition):
    data = {
        "amount": 1500,
        "items": [{"name": "rope", "qty": 2}, {"name": "net", "qty": 3}],
        "applicant": {"district": "Sinjai"},
        "submitted_on": "2026-06-02",
    }
    workflow = run(gateway_process(condition), data)
    assert workflow.get_tasks(spec_name="approved")[0].state == TaskState.COMPLETED


def test_script_task_updates_the_task_data_like_the_stock_engine():
    script = """
total = 0
for item in items:
    total += item['qty'] * item['price']
totals = {}
for item in items:
    totals[item['kind']] = totals.get(item['kind'], 0)
    totals[item['kind']] += item['qty']
first, second = items[0]['kind'], items[1]['kind']
summary = {'count': len(items), 'label': f"{len(items)} items"}
summary['big'] = total > 100
names = [item['kind'].upper() for item in items]
names[0:0] = ['START']
try:
    parsed = int(applicant_age)
except ValueError:
    parsed = -1
del scratch
"""
    data = {"items": [{"kind": "rope", "qty": 2, "price": 30}, {"kind": "net", "qty": 1, "price": 50}],
            "applicant_age": "n/a", "scratch": "to be removed"}
    result = final_data(run(script_process(script), data))
    assert result["total"] == 110
    assert result["totals"] == {"rope": 2, "net": 1}
    assert (result["first"], result["second"]) == ("rope", "net")
    assert result["summary"] == {"count": 2, "label": "2 items", "big": True}
    assert result["names"] == ["START", "ROPE", "NET"]
    assert result["parsed"] == -1
    assert "scratch" not in result
    assert "item" in result  # loop variables stay, as with the stock engine


def test_a_failed_script_leaves_the_task_data_untouched():
    data = {"order": {"lines": [1]}, "status": "new"}
    workflow = start(script_process("status = 'changed'\norder['lines'].append(2)\nmissing_name"), data)
    with pytest.raises(WorkflowTaskException):
        workflow.do_engine_steps()
    assert workflow.get_tasks(spec_name="e1")[0].data == {"order": {"lines": [1]}, "status": "new"}


# --- task data must stay JSON -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("helper = lambda x: x", "variable 'helper'"),
        ("pair = (1, 2)", "pair holds a tuple"),
        ("order = {'tags': [{'a', 'b'}]}", "order['tags'][0] holds a set"),
        ("ratio = float('nan')", "ratio is nan"),
        ("loop = []\nloop.append(loop)", "loop[0] contains itself"),
        ("lookup = {1: 'one'}", "key that is not a string"),
        ("huge = 2 ** 80", "too large"),
        ("method = 'abc'.upper", "variable 'method'"),
        ("kind = str", "variable 'kind'"),
        # The serializer's own key: data holding it would be saved but could never be loaded again.
        ("typename = 'x'", "cannot be named 'typename'"),
        ("order = {'lines': [{'typename': 'Task'}]}", "order['lines'][0] has the key 'typename'"),
    ],
)
def test_script_variables_that_are_not_json_are_refused_by_name(script, expected):
    assert expected in refusal(script_process(script)).message


def test_a_json_problem_explains_what_to_do():
    message = refusal(script_process("helper = lambda x: x")).message
    assert "Task data must be JSON" in message and "del helper" in message


# --- time and memory ----------------------------------------------------------------------------------------

RUNAWAY_SCRIPTS = {
    "huge power": ("x = 2 ** (10 ** 9)", "digits"),
    "huge string": ("x = 'a' * 10 ** 10", "items"),
    "huge list": ("x = [0] * 10 ** 9", "items"),
    "huge shift": ("x = 1 << 10 ** 9", "digits"),
    "endless while": ("while True:\n    pass", "time limit"),
    "huge range": ("for i in range(10 ** 12):\n    pass", "range()"),
    "in-place growth": ("x = [0]\nwhile True:\n    x *= 10", "items"),
    "doubling by extend": ("x = [0] * 1000\nwhile True:\n    x.extend(x)", "items"),
    "doubling by slice": ("x = [0] * 1000\nwhile True:\n    x[0:0] = x", "items"),
    "doubling by unpacking": ("x = [0] * 1000\nwhile True:\n    x = [*x, *x]", "items"),
    "copies kept alive": ("big = [0] * 1000000\nkeep = []\nwhile True:\n    keep.append(big + [])", "memory"),
    "padding": ("x = 'x'.rjust(10 ** 10)", "widths"),
    "join": ("x = ('x' * 1000).join(['y'] * 100000)", "characters"),
    "replace": ("x = ('a' * 1000).replace('', 'b' * 1000)", "characters"),
    "printf width": ("x = '%01000000000d' % 1", "widths"),
    "printf star": ("x = '%*d' % (10 ** 9, 1)", "'*' widths"),
    "f-string width": ("x = f'{1:>1000000000}'", "widths"),
    "f-string precision": ("x = f'{1.5:.1000000000f}'", "widths"),
    "list sum": ("x = sum([[0] * 1000] * 10000, [])", "sum()"),
    "exponential lambda": ("f = lambda n: 1 if n == 0 else f(n - 1) + f(n - 1)\nx = f(60)", "time limit"),
    "endless comprehension": ("x = [1 for a in range(10 ** 6) for b in range(10 ** 6)]", "time limit"),
    "refusal swallowed in a loop": (
        "while True:\n    try:\n        while True:\n            pass\n    except Exception:\n        pass",
        "time limit",
    ),
    "refusal swallowed once": ("try:\n    x = 2 ** (10 ** 9)\nexcept Exception:\n    x = 0", "digits"),
    "slow straight-line code": (
        "big = list(range(10 ** 6))\ncopy = list(big)\n" + "same = big == copy\n" * 5000, "time limit",
    ),
    "rounding to huge precision": ("x = round(5, -10 ** 9)", "round()"),
}


@pytest.mark.parametrize(("script", "reason"), RUNAWAY_SCRIPTS.values(), ids=RUNAWAY_SCRIPTS.keys())
def test_runaway_script_is_stopped_with_a_sandbox_violation(script, reason):
    assert reason in refusal(script_process(script)).message


@pytest.mark.parametrize(
    "condition", ["2 ** (10 ** 9) > 0", "len('a' * 10 ** 10) > 0", "len(range(10 ** 12)) > 0"]
)
def test_runaway_condition_is_stopped_with_a_sandbox_violation(condition):
    refusal(gateway_process(condition))


def test_the_time_limit_is_configurable():
    environment = create_script_engine(time_limit=0.05).environment
    with pytest.raises(SandboxViolation, match="longer than 0.05 s"):
        environment.execute("while True:\n    pass", {})


def test_one_runaway_thread_does_not_disturb_others():
    environment = create_script_engine(time_limit=FAST).environment
    outcome: dict[str, object] = {}

    def runaway() -> None:
        try:
            environment.execute("while True:\n    pass", {})
        except SandboxViolation as err:
            outcome["runaway"] = err

    thread = threading.Thread(target=runaway)
    thread.start()
    results = [environment.evaluate("amount > 1000", {"amount": n}) for n in range(999, 1003)]
    thread.join()
    assert results == [False, False, True, True]
    assert isinstance(outcome["runaway"], SandboxViolation)


def test_sandboxed_code_cannot_run_outside_the_engine():
    with pytest.raises(SandboxViolation, match="gives a function, which cannot leave the sandbox"):
        create_script_engine().environment.evaluate("lambda: [x for x in range(3)]", {})


def test_a_guard_cannot_run_outside_the_engine():
    with pytest.raises(SandboxViolation, match="only run inside the script engine"):
        sandbox.guards.BUILTINS["_getiter_"]([1, 2])


# --- errors in user code behave as with the stock engine ----------------------------------------------------


@pytest.mark.parametrize(
    ("make_spec", "code", "data"),
    [
        (script_process, "\ntotal = amout + 1", {"amount": 1}),
        (script_process, "x = 1\ny = 2\nz = x / 0", {}),
        (script_process, "x = 'a' + 1", {}),
        (script_process, "x = items[5]", {"items": []}),
        (script_process, "raise ValueError('amount is missing')", {}),
        (gateway_process, "amout > 1000", {"amount": 1}),
        (gateway_process, "amount / 0 > 1", {"amount": 1}),
    ],
)
def test_user_errors_surface_like_the_stock_engine(make_spec, code, data):
    def failure(engine: PythonScriptEngine | None) -> WorkflowTaskException:
        with pytest.raises(WorkflowTaskException) as caught:
            run(make_spec(code), data, engine)
        return caught.value

    stock, sandboxed = failure(PythonScriptEngine()), failure(create_script_engine())
    assert sandboxed.error_type == stock.error_type != "SandboxViolation"
    assert str(sandboxed) == str(stock)
    assert sandboxed.task_spec.name == stock.task_spec.name
    assert (sandboxed.line_number, sandboxed.error_line) == (stock.line_number, stock.error_line)
    assert sandboxed.notes == stock.notes


# --- the linter's checks ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expression",
    ["amount > 1000 and applicant_type == 'student'", "\n    amount > 1\n  ", "'PT2H'",
     "sum(i['qty'] for i in items)", "f'{amount:,}'", "x.get('a')", "[*a, *b]"],
)
def test_check_expression_accepts_ordinary_expressions(expression):
    assert check_expression(expression) is None


def test_check_script_accepts_ordinary_scripts():
    script = "total = 0\nfor i in items:\n    total += i['qty']\nd = {}\nd['k'] = 1\nd['k'] += 1"
    assert check_script(script) is None


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("().__class__", "line 1: names starting with '_' are not allowed: __class__"),
        ("getattr(x, 'y')", "line 1: getattr() is not available in scripts"),
        ("type(x)", "type() is not available"),
        ("open('f')", "open() is not available"),
        ("'{0}'.format(x)", "'.format' is not allowed"),
        ("(x for x in y).gi_frame", "'.gi_frame' (interpreter internals) is not allowed"),
        ("amount >", "line 1: invalid syntax"),
    ],
)
def test_check_expression_explains_what_is_wrong(source, message):
    assert message in check_expression(source)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x = 1\nimport os", "line 2: imports are not allowed in scripts"),
        ("def f():\n    pass", "function definitions are not allowed in scripts; use a lambda"),
        ("class A:\n    pass", "class definitions are not allowed"),
        ("print(x)", "print() is not available in scripts"),
        ("with x:\n    pass", "with statements are not allowed"),
        ("x = 1\n  y = 2", "line 2: unexpected indent"),
    ],
)
def test_check_script_explains_what_is_wrong(source, message):
    assert message in check_script(source)


@pytest.mark.parametrize("source", [None, b"x", 3, "(" * 500 + ")" * 500, "-" * 100_000 + "1", "\x00"])
def test_checks_never_raise(source):
    assert isinstance(check_expression(source), str)
    assert isinstance(check_script(source), str)


def test_compiled_code_is_reused():
    sandbox._compile.cache_clear()
    environment = create_script_engine().environment
    for amount in (1, 2000):
        environment.evaluate("amount > 1000", {"amount": amount})
    assert sandbox._compile.cache_info().hits == 1


def test_safe_functions_are_a_short_explicit_list():
    forbidden = {"open", "eval", "exec", "compile", "getattr", "setattr", "globals", "locals", "vars", "type",
                 "__import__", "input", "breakpoint", "object", "super", "print"}
    assert not forbidden & set(SAFE_FUNCTIONS)
    assert {"len", "sum", "sorted", "range", "str", "int", "float"} <= set(SAFE_FUNCTIONS)
