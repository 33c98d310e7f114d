"""Diagrams drawn for spiff-arena, SpiffWorkflow's own server: its extensions read as the Camunda ones Lincah knows.

spiff-arena's modeler writes ``spiffworkflow:`` extension elements where Camunda Modeler writes ``camunda:``
attributes. Each one is translated on the loaded tree (the stored text stays as the analyst drew it), before the
lint rules and the parser see it, so a spiff-arena model meets exactly the rules and the runtime of a Camunda one:

* ``spiffworkflow:calledDecisionId`` names the business rule task's table → ``camunda:decisionRef`` without a result
  variable, so the decision's outputs go into the task data under their own names, as spiff-arena puts them;
* ``spiffworkflow:properties`` ``formJsonSchemaFilename`` / ``formUiSchemaFilename`` name the JSON files beside the
  diagram → ``camunda:formKey`` (the schema's file name), the UI schema found by its own name (:func:`forms_with_ui`);
* ``spiffworkflow:preScript`` / ``postScript`` are checked in the sandbox here and attached to the parsed task specs
  (:func:`attach_scripts`, run by :mod:`engine.workflow.script_hooks` with the workflow's sandboxed script engine);
* ``spiffworkflow:instructionsForEndUser`` (Markdown) goes into the task's settings as ``instructions``;
* lanes are candidate groups (as for Camunda diagrams); a human task in no lane is, in spiff-arena, the process
  initiator's — here the applicant's (``camunda:assignee="${initiator}"``);
* ``spiffworkflow:serviceTaskOperator`` (a call through spiff-arena's connector proxy) → an external task whose
  topic is the operator id, its parameters the worker's inputs and its ``resultVariable`` what the worker may set;
* ``spiffworkflow:unitTests`` on a script task are read into :attr:`Reading.unit_tests` and run at lint and deploy
  (:mod:`engine.bpmn.script_unit_tests`);
* a script setting ``lane_owners`` names each lane's people: applied when a step of the lane becomes ready
  (:mod:`engine.casework.lane_owners`), said here with an info.

:func:`flavour_of` says which flavour a diagram is written in, so that lint can say what it read.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field, replace

from lxml import etree

from engine.bpmn.names import CAMUNDA_NS, HUMAN_TASK_TAGS, camunda, is_bpmn, label, local, xpath
from engine.bpmn.problems import ProblemList
from engine.forms.schemas import FormFiles, FormSource
from engine.sandbox import spiff_helpers
from engine.texts import N_, Text
from engine.workflow import script_hooks

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA, SPIFF, BOTH, PLAIN = "camunda", "spiff", "camunda+spiff", "plain"
SCRIPT_KINDS = {"preScript": script_hooks.PRE_SCRIPT, "postScript": script_hooks.POST_SCRIPT}
INSTRUCTIONS = "instructionsForEndUser"
LANE_OWNERS = "lane_owners"
_SHOWN = 80  # characters of a refused script quoted in a problem
_NAME = re.compile(r"[A-Za-z_]\w*")


def _spiff(tag: str) -> str:
    return f"{{{SPIFF_NS}}}{tag}"


def uses_namespace(root, namespace: str) -> bool:
    """Whether an element or attribute of ``root`` is in ``namespace`` (declaring it is not enough: bpmn-js
    declares ``camunda:`` in files that never use it)."""
    prefix = f"{{{namespace}}}"
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        if node.tag.startswith(prefix) or any(name.startswith(prefix) for name in node.attrib):
            return True
    return False


def flavour_of(roots) -> str:
    """``camunda``, ``spiff``, ``camunda+spiff`` or ``plain``: whose extensions the diagrams use."""
    has_camunda = any(uses_namespace(root, CAMUNDA_NS) for root in roots)
    has_spiff = any(uses_namespace(root, SPIFF_NS) for root in roots)
    return {(True, True): BOTH, (True, False): CAMUNDA, (False, True): SPIFF}.get((has_camunda, has_spiff), PLAIN)


@dataclass(frozen=True)
class ScriptUnitTest:
    """One ``spiffworkflow:unitTest`` of a script task: the task data it gives the script and the data it expects
    the script to leave (both JSON objects)."""

    file: str
    element_id: str
    element_name: str  # as problems name an element: 'Name' (id)
    test_id: str
    script: str
    given: dict
    expected: dict
    line: int | None = None


@dataclass
class Reading:
    """What the translation of one or more files found besides what it wrote into the trees."""

    ui_schemas: dict[str, str] = field(default_factory=dict)  # form key (schema file) -> UI schema file
    instructions: dict[str, str] = field(default_factory=dict)  # element id -> Markdown text
    scripts: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)  # (file, element id) -> scripts
    flavours: list[str] = field(default_factory=list)  # of each file translated, read before translating it
    # (file, element id) of multi-instance elements whose scripts run on each instance (scriptsOnInstances)
    on_instances: set[tuple[str, str]] = field(default_factory=set)
    unit_tests: list[ScriptUnitTest] = field(default_factory=list)  # of script tasks, in document order
    lanes: set[str] = field(default_factory=set)  # the named lanes of every file translated
    # (element, file, lanes named) of each script setting lane_owners: checked against ``lanes`` once every file of
    # the deployment is read (``check_owned_lanes``), since a lane may be drawn in a called file
    owner_scripts: list[tuple] = field(default_factory=list)

    @property
    def owned_lanes(self) -> set[str]:
        """Lanes a script's ``lane_owners`` names (as a literal key): their steps go to the people it lists, never
        to the lane's group (engine.casework.lane_owners), so that group need not exist (``mark_owned_lanes``)."""
        return {lane for _node, _file, named in self.owner_scripts for lane in named}

    @property
    def flavour(self) -> str:
        found = set(self.flavours) - {PLAIN}
        if not found:
            return PLAIN
        if BOTH in found or found == {CAMUNDA, SPIFF}:
            return BOTH
        return found.pop()


def _extension(node, name: str):
    found = xpath(node, f"./bpmn:extensionElements/*[local-name()='{name}' and namespace-uri()='{SPIFF_NS}']")
    return found[0] if found else None


def _text(node) -> str:
    return (node.text or "").strip() if node is not None else ""


def spiff_properties(node) -> dict[str, str]:
    """``spiffworkflow:properties`` of an element's own extensionElements."""
    holder = _extension(node, "properties")
    if holder is None:
        return {}
    return {(p.get("name") or "").strip(): p.get("value") if p.get("value") is not None else (p.text or "")
            for p in holder.iter(_spiff("property")) if (p.get("name") or "").strip()}


def translate(root, problems: ProblemList, filename: str, check_script, reading: Reading) -> None:
    """Write the Camunda equivalents of ``root``'s spiff extensions into it; collect the rest into ``reading``;
    refuse scripts the sandbox refuses, located."""
    reading.flavours.append(flavour_of([root]))
    reading.lanes |= _lane_names(root)
    _refuse_spiff_helpers(root, problems, filename, reading)  # spiff-arena scripts are drawn in plain diagrams too
    if reading.flavours[-1] not in (SPIFF, BOTH):
        return
    # A lane without a name is drawn for the picture only: it names no group (engine.bpmn.settings.lane_of).
    in_lane = {(ref.text or "").strip() for ref in xpath(root, ".//bpmn:lane/bpmn:flowNodeRef")
               if (ref.getparent().get("name") or "").strip()}
    for node in root.iter():
        if not isinstance(node.tag, str) or not is_bpmn(node):
            continue
        tag = local(node.tag)
        if tag == "businessRuleTask":
            decision = _text(_extension(node, "calledDecisionId"))
            if decision and not node.get(camunda("decisionRef")):
                node.set(camunda("decisionRef"), decision)
        if tag == "serviceTask":
            _read_service_operator(node, problems, filename)
        if tag == "scriptTask":
            _read_unit_tests(node, problems, filename, reading)
        if tag == "startEvent":
            _read_form(node, reading)  # the form that starts the file (a message start event's, in spiff-arena)
        if tag in HUMAN_TASK_TAGS:
            _read_form(node, reading)
            if node.get("id") not in in_lane and not node.get(camunda("assignee")) \
                    and not node.get(camunda("candidateGroups")):
                node.set(camunda("assignee"), "${initiator}")
        instructions = _extension(node, INSTRUCTIONS)
        if instructions is not None and (instructions.text or "").strip():
            reading.instructions[node.get("id")] = instructions.text.strip()
        for kind, key in SCRIPT_KINDS.items():
            script = _extension(node, kind)
            if script is None or not (script.text or "").strip():
                continue
            message = check_script(script.text)
            if message:
                code = " ".join(script.text.split())
                problems.error("code_invalid", N_("The %(kind)s of %(name)s is not allowed or does not compile: "
                                                  "%(code)s — %(reason)s. Pre- and post-scripts are Python statements "
                                                  "that set process variables, e.g. biaya = 0; they run in the same "
                                                  "sandbox as script tasks."), node=script, file=filename,
                               element_id=node.get("id"),
                               params={"kind": f"spiffworkflow:{kind}", "name": label(node),
                                       "code": repr(code if len(code) <= _SHOWN else code[:_SHOWN - 1] + "…"),
                                       "reason": message})
                continue
            reading.scripts.setdefault((filename, node.get("id")), {})[key] = script.text
            if xpath(node, f"./bpmn:multiInstanceLoopCharacteristics[@*[local-name()='scriptsOnInstances' and "
                           f"namespace-uri()='{SPIFF_NS}']='true']"):
                reading.on_instances.add((filename, node.get("id")))
        _note_unread(node, problems, filename)


def _read_unit_tests(node, problems: ProblemList, filename: str, reading: Reading) -> None:
    """The script task's unit tests, each with its input and expected output read as JSON objects. A test whose
    JSON cannot be read is an error where it is written: it cannot run, so it cannot pass (spiff-arena's editor
    refuses to run it too)."""
    tests = _extension(node, "unitTests")
    script = _text(xpath(node, "./bpmn:script")[0]) if xpath(node, "./bpmn:script") else ""
    if tests is None:
        return
    for test in tests.iter(_spiff("unitTest")):
        test_id = (test.get("id") or "").strip() or f"#{len(reading.unit_tests) + 1}"
        parts = {}
        for part in ("inputJson", "expectedOutputJson"):
            found = test.find(_spiff(part))
            value, reason = _json_object(found.text if found is not None else None)
            if reason is not None:
                problems.error("spiff_unit_test_json",
                               N_("Unit test %(test)s of %(name)s: its %(part)s is not a JSON object (%(reason)s), "
                                  "so the test cannot run. Write it as JSON, e.g. {\"biaya\": 0}."),
                               node=found if found is not None else test, file=filename, element_id=node.get("id"),
                               params={"test": repr(test_id), "name": label(node), "part": f"spiffworkflow:{part}",
                                       "reason": reason})
            parts[part] = value
        if script and None not in parts.values():
            reading.unit_tests.append(ScriptUnitTest(filename, node.get("id"), label(node), test_id, script,
                                                     parts["inputJson"], parts["expectedOutputJson"],
                                                     test.sourceline))


def _json_object(text: str | None) -> tuple[dict | None, str | None]:
    """The JSON object ``text`` holds, or why not. spiff-arena's own sample models write Python dicts
    (``{'a': 1}``): read as a Python literal when it is not JSON, since their scripts are Python."""
    text = (text or "").strip()
    if not text:
        return None, "it is empty"
    try:
        value = json.loads(text)
    except ValueError as err:
        try:
            value = json.loads(json.dumps(ast.literal_eval(text)))  # through JSON: tuples become lists
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return None, str(err)
    except RecursionError:
        return None, "it is nested too deeply"
    if not isinstance(value, dict):
        return None, f"it is a {type(value).__name__}"
    return value, None


def _note_unread(node, problems: ProblemList, filename: str) -> None:
    """spiff-arena extensions Lincah does not act on, said once each (info: they never block a deploy)."""
    metadata = _extension(node, "taskMetadataValues")
    if metadata is not None:
        names = [(value.get("name") or "").strip() for value in metadata.iter(_spiff("taskMetadataValue"))]
        problems.info("spiff_task_metadata", N_("%(name)s sets spiff-arena task metadata (%(names)s, "
                                                "spiffworkflow:taskMetadataValues), which Lincah's inboxes do not "
                                                "show; put what officers must see into the step's form or "
                                                "instructions."), node=node, file=filename,
                      params={"name": label(node), "names": ", ".join(n for n in names if n) or "-"})


def _lane_owners_set(code: str) -> tuple[bool, set[str]]:
    """Whether ``code`` assigns spiff-arena's ``lane_owners`` (the people of each lane, set by a script), and the
    lane names of the dict it assigns where they are written as literals."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False, set()
    found, lanes = False, set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if any(isinstance(t, ast.Name) and t.id == LANE_OWNERS for t in targets):
            found = True
            if isinstance(node.value, ast.Dict):
                lanes.update(key.value for key in node.value.keys
                             if isinstance(key, ast.Constant) and isinstance(key.value, str))
    return found, lanes


def _scripts_of(node) -> list[str]:
    """The code an element holds: a script task's script, spiff pre-/post-scripts, a flow's condition."""
    found = [_text(script) for script in xpath(node, "./bpmn:script | ./bpmn:conditionExpression")]
    found += [_text(_extension(node, kind)) for kind in SCRIPT_KINDS]
    return [text for text in found if text]


def _called_names(code: str) -> list[str]:
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return []  # the sandbox's own check says what is wrong with it
    return [call.func.id for call in ast.walk(tree) if isinstance(call, ast.Call) and isinstance(call.func, ast.Name)]


def _refuse_spiff_helpers(root, problems: ProblemList, filename: str, reading: Reading) -> None:
    """A script calling a spiff-arena helper Lincah does not give (``engine.sandbox.spiff_helpers``) is refused
    here, naming the helper and the element, rather than failing with a NameError when a file reaches it."""
    for node in root.iter():
        if not isinstance(node.tag, str) or not is_bpmn(node) or node.get("id") is None:
            continue
        refused, owners, named = [], False, set()
        for code in _scripts_of(node):
            refused += [name for name in _called_names(code) if name in spiff_helpers.REFUSED and name not in refused]
            sets, lanes_named = _lane_owners_set(code)
            owners, named = owners or sets, named | lanes_named
        if owners:
            _say_lane_owners(root, node, problems, filename)
            reading.owner_scripts.append((node, filename, named))
        for helper in refused:
            problems.error("spiff_helper_unsupported",
                           N_("%(name)s calls %(helper)s(), a spiff-arena script helper Lincah does not provide: "
                              "%(reason)s. Scripts here can call %(supported)s."), node=node, file=filename,
                           params={"name": label(node), "helper": helper,
                                   "reason": Text(spiff_helpers.REFUSED[helper]),
                                   "supported": ", ".join(f"{h}()" for h in spiff_helpers.SUPPORTED)})


def _lane_names(root) -> set[str]:
    return {(lane.get("name") or "").strip() for lane in xpath(root, ".//bpmn:lane")} - {""}


def _say_lane_owners(root, node, problems: ProblemList, filename: str) -> None:
    """What happens with ``lane_owners`` (engine.casework.lane_owners), said where it is set."""
    problems.info("spiff_lane_owners",
                  N_("%(name)s sets %(variable)s: a step of a lane it names goes only to the people it lists for "
                     "that lane (the diagram's lanes: %(lanes)s), when they are active officers of the step's office; "
                     "other names are left out and recorded in the audit, and a step left with nobody goes to the "
                     "office's supervisors."), node=node, file=filename,
                  params={"name": label(node), "variable": LANE_OWNERS,
                          "lanes": ", ".join(sorted(_lane_names(root))) or "-"})


def check_owned_lanes(problems: ProblemList, reading: Reading) -> None:
    """A lane name written in ``lane_owners`` that no lane of the deployment's files has is a warning, since it
    gives no step to anyone; called once every file is read (a lane may be drawn in a called file)."""
    lanes = ", ".join(sorted(reading.lanes)) or "-"
    for node, filename, named in reading.owner_scripts:
        for lane in sorted(named - reading.lanes):
            problems.warning("spiff_lane_owners_lane_unknown",
                             N_("%(name)s sets %(variable)s for lane %(lane)s, but the diagram has no lane of that "
                                "name (its lanes: %(lanes)s): nobody gets a step through it. Use the lane's name as "
                                "drawn."),
                             node=node, file=filename,
                             params={"name": label(node), "variable": LANE_OWNERS, "lane": repr(lane),
                                     "lanes": lanes})


def _read_service_operator(node, problems: ProblemList, filename: str) -> None:
    """spiff-arena's connector call (``serviceTaskOperator id="http/GetRequest"``) → an external task whose topic is
    the operator: a worker for that topic does the call. Parameters are shown to the worker (a literal as itself, a
    variable name as ``${name}``); the worker may set ``resultVariable``."""
    operator = _extension(node, "serviceTaskOperator")
    if operator is None or not (operator.get("id") or "").strip() or node.get(camunda("type")):
        return
    node.set(camunda("type"), "external")
    node.set(camunda("topic"), operator.get("id").strip())
    mapping = etree.SubElement(operator.getparent(), camunda("inputOutput"))
    for parameter in operator.iter(_spiff("parameter")):
        name, value = (parameter.get("id") or "").strip(), (parameter.get("value") or "").strip()
        if not name:
            continue
        text = _parameter_text(value)
        if text is None:
            problems.warning("spiff_parameter_expression",
                             N_("Parameter %(parameter)s of %(name)s is the expression %(value)s, which Lincah does "
                                "not compute for a worker: the worker receives its text. Compute it in a pre-script "
                                "into a variable and pass the variable's name."),
                             node=node, file=filename,
                             params={"parameter": repr(name), "name": label(node), "value": repr(value)})
            text = value
        etree.SubElement(mapping, camunda("inputParameter"), name=name).text = text
    result = (operator.get("resultVariable") or "").strip()
    if result:
        etree.SubElement(mapping, camunda("outputParameter"), name=result).text = ""


def _parameter_text(value: str) -> str | None:
    """A spiff parameter (a Python expression) as a Camunda input's text: a literal, ``${name}``, or None."""
    if _NAME.fullmatch(value):
        return f"${{{value}}}"
    try:
        literal = ast.literal_eval(value) if value else ""
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return literal if isinstance(literal, str) else None if isinstance(literal, (dict, list, tuple, set)) \
        else str(literal).lower() if isinstance(literal, bool) else str(literal)


def _read_form(node, reading: Reading) -> None:
    properties = spiff_properties(node)
    schema = (properties.get("formJsonSchemaFilename") or "").strip()
    if not schema or node.get(camunda("formKey")):
        return
    node.set(camunda("formKey"), schema)
    ui = (properties.get("formUiSchemaFilename") or "").strip()
    if ui:
        reading.ui_schemas[schema] = ui


class _SpiffForms(FormSource):
    """A form source whose UI schemas may have names of their own (``formUiSchemaFilename``)."""

    def __init__(self, source: FormSource, ui_schemas: dict[str, str]):
        super().__init__()
        self.uploads, self.folders = source.uploads, source.folders
        self._source, self._ui_schemas = source, ui_schemas

    def find(self, key: str, all_keys: list[str] | None = None) -> FormFiles | None:
        files = self._source.find(key, all_keys)
        ui_name = self._ui_schemas.get(key)
        if files is None or ui_name is None:
            return files
        ui = self._source.find(ui_name, [ui_name])
        return replace(files, ui_text=ui.schema_text) if ui is not None else files


def forms_with_ui(source: FormSource, reading: Reading) -> FormSource:
    return _SpiffForms(source, reading.ui_schemas) if reading.ui_schemas else source


def add_instructions(meta: dict, reading: Reading) -> None:
    """Each human task's ``instructions`` (Markdown, rendered escaped on the task page), or None; and every
    element's under ``meta["instructions"]``, for the steps of called files, which have no settings of their own."""
    for element_id, task in (meta.get("tasks") or {}).items():
        task["instructions"] = reading.instructions.get(element_id)
    if reading.instructions:
        meta["instructions"] = dict(reading.instructions)


def mark_owned_lanes(meta: dict, reading: Reading) -> None:
    """``lane_owned`` on each human task of a lane that ``lane_owners`` names: its candidate group (the lane's name)
    is never used, so the deploy does not ask for it (``engine.people.groups.diagram_groups``)."""
    owned = reading.owned_lanes
    for task in (meta.get("tasks") or {}).values():
        task["lane_owned"] = bool(task.get("lane")) and task["lane"] in owned


def attach_scripts(spec, subprocess_specs: dict, reading: Reading) -> None:
    """Give the parsed task specs their pre- and post-scripts (the spec of each process knows its file)."""
    if not reading.scripts:
        return
    for process_spec in [spec, *subprocess_specs.values()]:
        filename = getattr(process_spec, "file", None)
        for task_spec in process_spec.task_specs.values():
            bpmn_id = getattr(task_spec, "bpmn_id", None)
            scripts = reading.scripts.get((filename, bpmn_id))
            # A multi-instance element's scripts run once around all its instances, or (scriptsOnInstances) on
            # each instance: the parser's "[child]" spec, which has the instance's input item in its data.
            wanted = f"{bpmn_id} [child]" if (filename, bpmn_id) in reading.on_instances else bpmn_id
            if scripts and task_spec.name == wanted:
                script_hooks.attach(task_spec, scripts)
