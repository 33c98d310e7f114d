"""From uploaded bytes to an executable, checked service definition (or a list of located problems).

hardened XML load → XSD → choose the service's process → rewrites (human decisions, JUEL, bare timers) → lint
rules → SpiffWorkflow parser → forms resolved and checked. Nothing here raises on bad input: every failure becomes a
problem with file, line and element id. A crash-type exception from the library is caught and located too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.bpmn import (
    choices,
    dmn,
    executable,
    external,
    language_lint,
    letter_lint,
    lint,
    meaning_lint,
    messages,
    settings,
    sla_lint,
    spiff_flavour,
)
from engine.bpmn.names import camunda, label, local, xpath
from engine.bpmn.parser import LincahParser
from engine.bpmn.problems import ProblemList
from engine.bpmn.rewrite import flow_order, rewrite
from engine.bpmn.xml import load_xml
from engine.forms.schemas import Form, FormSource, check_form
from engine.sandbox import check_expression, check_script
from engine.texts import N_


@dataclass
class SourceFile:
    name: str
    data: bytes


@dataclass
class Compiled:
    main_file: str
    key: str | None = None
    texts: dict[str, str] = field(default_factory=dict)  # every file used: name -> original text
    spec: object = None
    subprocess_specs: dict = field(default_factory=dict)
    spec_json: str | None = None  # the spec as stored, once it survived a round trip (engine.services.preparation)
    meta: dict = field(default_factory=dict)
    forms: dict[str, Form] = field(default_factory=dict)
    problems: ProblemList = field(default_factory=ProblemList)
    decisions: dict = field(default_factory=dict)  # DMN decision id -> engine.decisions.Decision
    decision_texts: dict[str, str] = field(default_factory=dict)  # every DMN file deployed: name -> text
    spiff: spiff_flavour.Reading = field(default_factory=spiff_flavour.Reading)  # spiff-arena extensions read

    @property
    def flavour(self) -> str:
        """Whose extensions the files use: camunda, spiff, camunda+spiff or plain (said by lint)."""
        return self.spiff.flavour

    @property
    def ok(self) -> bool:
        return self.spec is not None and not self.problems.errors


@dataclass
class CompileOptions:
    timezone: str = "Asia/Makassar"
    max_bytes: int = 5 * 1024 * 1024
    validate_xsd: bool = True
    sla_parser: object = None  # callable(text) raising ValueError; the working-time calendar's parser


def compile_definition(main: SourceFile, supporting: list[SourceFile], forms: FormSource,
                       options: CompileOptions) -> Compiled:
    result = Compiled(main.name)
    problems = result.problems
    supporting = _read_decisions(supporting, result, options)
    root = _load(main, problems, options, result)
    if root is None:
        return result
    process = _choose_process(root, problems, main.name)
    if process is None:
        return result
    result.key = process.get("id")
    if not _check_service_key(process, problems, main.name):
        return result
    spiff_flavour.translate(root, problems, main.name, check_script, result.spiff)
    decisions = rewrite(root, problems, main.name, options.timezone)
    other_roots = _supporting_roots(process, supporting, problems, options, result)
    for other_name, other in other_roots:
        spiff_flavour.translate(other, problems, other_name, check_script, result.spiff)
        decisions.update(rewrite(other, problems, other_name, options.timezone))
    spiff_flavour.check_owned_lanes(problems, result.spiff)  # with every file read: lanes of called files count
    result.meta = _read_meta(process, decisions, problems, main.name, options)
    spiff_flavour.add_instructions(result.meta, result.spiff)
    spiff_flavour.mark_owned_lanes(result.meta, result.spiff)
    forms = spiff_flavour.forms_with_ui(forms, result.spiff)
    _lint(process, problems, main.name, options)
    if not problems.errors:
        _parse(result, root, other_roots)
    form_keys = [k for k in [result.meta["start_form"], *(t["form_key"] for t in result.meta["tasks"].values())] if k]
    named_elsewhere = _forms_named_outside_tasks([process.getroottree().getroot(), *(r for _, r in other_roots)])
    named_elsewhere.update(_forms_of_called_steps(other_roots, named_elsewhere))
    result.forms = _resolve_forms(sorted(set(form_keys) | set(named_elsewhere)), forms, process, problems, main.name,
                                  named_elsewhere)
    _check_decision_forms(result, process, problems, main.name)
    return result


def _load(source: SourceFile, problems, options, result):
    tree = load_xml(source.data, source.name, problems, options.max_bytes)
    if tree is None:
        return None
    root = tree.getroot()
    if local(root.tag) != "definitions" or not root.tag.startswith("{http://www.omg.org/spec/BPMN"):
        problems.error("not_bpmn", N_("The root element is <%(root)s>, not <bpmn:definitions>: this is not a BPMN "
                                      "2.0 file."), file=source.name, line=root.sourceline,
                       params={"root": local(root.tag)})
        return None
    if options.validate_xsd:
        lint.check_xsd(tree, problems, source.name)
    lint.check_platform(root, problems, source.name)
    result.texts[source.name] = source.data.decode("utf-8", errors="replace")
    return root


def _executable(process) -> bool:
    return (process.get("isExecutable") or "").strip().lower() == "true"


def _has_content(process) -> bool:
    return any(local(c.tag) in {"startEvent", "userTask", "task"} for c in process)


# The process id becomes the service key: in addresses (/services/<key>), registration numbers and file names.
# XML ids are NCNames in theory; not every modelling tool checks, and XSD errors are only warnings here.
_SERVICE_KEY = re.compile(r"[^\W\d][\w.-]{0,99}")


def _check_service_key(process, problems: ProblemList, filename: str) -> bool:
    key = process.get("id") or ""
    if _SERVICE_KEY.fullmatch(key):
        return True
    problems.error("service_key", N_("The process id %(key)s cannot be the service's key: it is used in addresses "
                                     "and registration numbers. Use letters, digits, '_', '-' or '.', starting with a "
                                     "letter, at most 100 characters (e.g. research_permit); set it as the pool's "
                                     "process id in your modeler."),
                   node=process, file=filename, params={"key": repr(key)})
    return False


def _choose_process(root, problems: ProblemList, filename: str):
    processes = xpath(root, "./bpmn:process")
    if not processes:
        problems.error("no_process", N_("The file contains no process. Draw the service as a BPMN process (a pool)."),
                       file=filename, line=root.sourceline)
        return None
    called = set(xpath(root, ".//bpmn:callActivity/@calledElement"))
    candidates = [p for p in processes if _executable(p) and p.get("id") not in called] or \
        [p for p in processes if _executable(p)]
    if not candidates:
        # Diagrams from tools other than Camunda Modeler rarely set isExecutable; take the first pool that has
        # a start event (the service), say so, and let the analyst tick 'Executable' next time.
        with_start = [p for p in processes if xpath(p, "./bpmn:startEvent") and p.get("id") not in called]
        if not with_start:
            problems.error("not_executable", N_("No process is marked executable (isExecutable=\"true\") and none "
                                                "has a start event. Tick 'Executable' on the pool of the service in "
                                                "your modeler."),
                           file=filename, element_id=processes[0].get("id"), line=processes[0].sourceline)
            return None
        process = with_start[0]
        params = {"name": label(process), "others": ", ".join(label(p) for p in with_start[1:])}
        problems.warning("not_executable", N_("Process %(name)s is not marked executable; it is deployed as the "
                                              "service anyway; %(others)s ignored. Tick 'Executable' in your "
                                              "modeler.") if params["others"] else
                         N_("Process %(name)s is not marked executable; it is deployed as the service anyway. Tick "
                            "'Executable' in your modeler."), node=process, file=filename, params=params)
        process.set("isExecutable", "true")
        return process
    with_content = [p for p in candidates if _has_content(p)] or candidates
    process = with_content[0]
    if len(with_content) > 1:
        others = ", ".join(label(p) for p in with_content[1:])
        problems.warning("several_processes", N_("The file has several executable processes; %(name)s is deployed "
                                                 "as the service, %(others)s ignored (pools talk only through call "
                                                 "activities)."),
                         node=process, file=filename, params={"name": label(process), "others": others})
    return process


def _supporting_roots(process, supporting: list[SourceFile], problems, options, result) -> list:
    """Load the other files only when the service's call activities need them — or the call activities of a file
    loaded so (a model folder's chain: the service calls a, a calls b)."""
    needed = {c.get("calledElement") for c in xpath(process, ".//bpmn:callActivity") if c.get("calledElement")}
    local_processes = {p.get("id"): p for p in xpath(process.getroottree().getroot(), "./bpmn:process")}
    for called in needed & set(local_processes):
        _mark_executable(local_processes[called])
    needed -= set(local_processes)
    roots, found, pending, progress = [], set(), list(supporting), True
    while needed - found and progress:
        progress = False
        for source in list(pending):
            if not needed - found:
                break
            scratch = ProblemList()
            tree = load_xml(source.data, source.name, scratch, options.max_bytes)
            if tree is None:
                pending.remove(source)
                continue
            processes = {p.get("id"): p for p in xpath(tree.getroot(), "./bpmn:process")}
            wanted = set(processes) & (needed - found)
            if wanted:
                pending.remove(source)
                progress = True
                found |= wanted
                for called in wanted:
                    _mark_executable(processes[called])
                calls = set(xpath(tree.getroot(), ".//bpmn:callActivity/@calledElement"))
                for called in calls & set(processes):
                    _mark_executable(processes[called])
                found |= set(processes) & calls
                needed |= calls
                problems.extend(scratch)
                result.texts[source.name] = source.data.decode("utf-8", errors="replace")
                roots.append((source.name, tree.getroot()))
    callers = [(result.main_file, c) for c in xpath(process, ".//bpmn:callActivity")]
    callers += [(name, c) for name, root in roots for c in xpath(root, ".//bpmn:callActivity")]
    for missing in sorted(needed - found):
        caller_file, node = next((f, c) for f, c in callers if c.get("calledElement") == missing)
        problems.error("call_activity_missing", N_("Call activity %(name)s calls process %(process)s, which is in "
                                                   "none of the files deployed. Deploy the file that contains it "
                                                   "together with this one."),
                       node=node, file=caller_file, params={"name": label(node), "process": repr(missing)})
    return roots


def _mark_executable(process) -> None:
    """A process called by the service runs as part of it, whatever its own isExecutable says."""
    process.set("isExecutable", "true")


def _read_meta(process, decisions, problems: ProblemList, filename: str, options) -> dict:
    lanes = settings.lane_of(process)
    tasks, nodes = {}, {}
    for node in settings.human_tasks(process):
        task = settings.task_settings(node, lanes)
        task["decisions"] = decisions.get(task["element_id"], [])
        task["choice_names"] = settings.choice_names(process, task["element_id"], task["decisions"])
        tasks[task["element_id"]] = task
        nodes[task["element_id"]] = node
        lint.check_sla(task["sla"], node, problems, filename, options.sla_parser)
        if local(node.tag) == "userTask" and not task["form_key"]:
            problems.warning("task_without_form", N_("User task %(name)s has no form (camunda:formKey); it will "
                                                     "only offer its decision buttons or a 'done' button."),
                             node=node, file=filename, params={"name": label(node)})
        if not task["candidate_groups"] and not task["for_applicant"] and not task["assignee"]:
            problems.warning("task_without_group", N_("User task %(name)s has no candidate group, assignee or lane, "
                                                      "so only supervisors can work it. Set camunda:candidateGroups "
                                                      "or put it in a lane."),
                             node=node, file=filename, params={"name": label(node)})
    # In the order a file goes through them, so that the procedure reads as the applicant lives it (a step added
    # last to the XML but drawn before the signature is listed before it); steps no flow reaches come last.
    order = flow_order(process)
    tasks = dict(sorted(tasks.items(), key=lambda item: order.get(item[0], len(order))))
    process_settings = settings.process_settings(process)
    # What each choice and end means is settled here, once: the SLA pass, messages and pages read it from the meta.
    meanings = choices.resolve(process, decisions, tasks, process_settings)
    for element_id, task in tasks.items():
        task["meanings"] = meanings.task_meanings(element_id)
    lint.check_sla(process_settings["sla"], process, problems, filename, options.sla_parser)
    sla_lint.check_sla_settings(process, tasks, process_settings, problems, filename)
    sla_lint.check_steps_fit_the_file(nodes, tasks, process_settings, problems, filename, options.sla_parser)
    meaning_lint.check_meanings(process, meanings, problems, filename)
    letter_lint.check_letter(process, tasks, meanings, problems, filename)
    language_lint.check_languages(process, process_settings, problems, filename)
    return {"process": process_settings, "tasks": tasks, "start_form": settings.start_form_key(process),
            "outcomes": meanings.outcomes(), "outcome_names": settings.outcome_names(process),
            "labels": settings.english_labels(process), "lanes": settings.lane_names(process)}


def _lint(process, problems: ProblemList, filename: str, options) -> None:
    lint.check_structure(process, problems, filename)
    lint.check_gateways(process, problems, filename)
    lint.check_event_gateways(process, problems, filename)
    lint.check_reachability(process, problems, filename)
    lint.check_code(process, problems, filename, check_expression, check_script)
    executable.check_executable(process, problems, filename, check_expression)
    messages.check_messages(process, problems, filename)  # which messages and signals it waits for (info)
    external.check_variables_schema(process, problems, filename)


def _read_decisions(supporting: list[SourceFile], result: Compiled, options) -> list[SourceFile]:
    """Read the DMN files among ``supporting`` (named ``*.dmn`` or DMN inside) into ``result``; the rest."""
    tables = [s for s in supporting if s.name.lower().endswith(".dmn") or dmn.looks_like_dmn(s.data)]
    result.decisions = dmn.read_files([(s.name, s.data) for s in tables], result.problems, options.max_bytes)
    result.decision_texts = {s.name: s.data.decode("utf-8", errors="replace") if isinstance(s.data, bytes)
                             else s.data for s in tables}
    return [s for s in supporting if s not in tables]


def _parse(result: Compiled, root, other_roots) -> None:
    parser = LincahParser()
    parser.add_decisions(result.decisions)
    node_lines = {}
    for tree_root in [root, *(r for _, r in other_roots)]:
        for node in tree_root.iter():
            if isinstance(node.tag, str) and node.get("id"):
                node_lines.setdefault(node.get("id"), node.sourceline)
    try:
        parser.add_bpmn_xml(root, filename=result.main_file)
        for other_name, other in other_roots:
            parser.add_bpmn_xml(other, filename=other_name)
        result.spec = parser.get_spec(result.key)
        result.subprocess_specs = parser.get_subprocess_specs(result.key)
        spiff_flavour.attach_scripts(result.spec, result.subprocess_specs, result.spiff)
    except ValidationException as exc:
        element = getattr(exc, "id", "") or _element_named_in(str(exc), root, other_roots)
        result.spec = None
        message, message_id = executable.library_problem(exc, element, [root, *(r for _, r in other_roots)])
        result.problems.error("parser", message, file=getattr(exc, "file_name", "") or result.main_file,
                              element_id=element, line=_line(exc, node_lines, element), message_id=message_id)
    except (SpiffWorkflowException, Exception) as exc:  # noqa: BLE001 - the library's crash becomes a problem
        result.spec = None
        result.problems.error("parser_failure", N_("The workflow library could not read this diagram (%(error)s). "
                                                   "Check the element types used; if the diagram looks right, "
                                                   "report this to the Lincah team with the file."),
                              file=result.main_file, element_id=result.key,
                              params={"error": f"{type(exc).__name__}: {exc}"})


def _element_named_in(message: str, root, other_roots) -> str | None:
    """The library names a missing called process only in its message: point at the call activity instead."""
    match = re.search(r"process '([^']+)' was not found", message)
    if not match:
        return None
    for tree_root in [root, *(r for _, r in other_roots)]:
        for call in xpath(tree_root, ".//bpmn:callActivity"):
            if call.get("calledElement") == match.group(1):
                return call.get("id")
    return None


def _line(exc, node_lines: dict, element: str | None):
    line = getattr(exc, "line_number", "") or None
    if isinstance(line, int):
        return line
    return node_lines.get(element)


def _check_decision_forms(result: Compiled, process, problems: ProblemList, filename: str) -> None:
    """A task with choices stores the choice as its ``decision`` field, and its form validates it with the rest."""
    nodes = {node.get("id"): node for node in settings.human_tasks(process)}
    for element_id, task in result.meta["tasks"].items():
        form = result.forms.get(task["form_key"]) if task["decisions"] else None
        if form is None or form.schema.get("additionalProperties") is not False:
            continue
        if "decision" not in (form.schema.get("properties") or {}):
            node = nodes.get(element_id, process)
            problems.error("form_invalid", N_("Form %(form)s of %(name)s allows no fields besides its own "
                                              "(additionalProperties: false), but the task stores the officer's "
                                              "choice as the field 'decision'. Add \"decision\": {\"type\": "
                                              "\"string\"} to the form's properties."),
                           node=node, file=filename, params={"form": repr(task["form_key"]), "name": label(node)})


def _forms_named_outside_tasks(roots: list) -> dict[str, object]:
    """Form key -> the element naming it, for forms no human task names but the engine validates with all the same:
    what a message brings to its catching element (``camunda:formKey`` on a receive task or catch event) and what a
    worker may set on an external task (``variablesSchema``). They are snapshotted with the definition like task
    forms, since a version must keep validating with the forms it was deployed with."""
    found: dict[str, object] = {}
    for root in roots:
        nodes = {n.get("id"): n for n in root.iter() if isinstance(n.tag, str) and n.get("id")}
        for receiver in messages.receivers(root):
            if receiver.form_key:
                found.setdefault(receiver.form_key, nodes.get(receiver.element_id))
        for key, node in external.variables_schema_keys(root).items():
            found.setdefault(key, node)
    return found


def _forms_of_called_steps(other_roots, known: dict) -> dict[str, object]:
    """Form key -> the step naming it, for the human steps of the processes the service calls in other files: their
    tasks show those forms (``engine.casework.projection`` reads the key from the spec), so they are snapshotted
    with the version like the service's own."""
    found: dict[str, object] = {}
    for _, root in other_roots:
        for called in xpath(root, "./bpmn:process[@isExecutable='true']"):
            for node in settings.human_tasks(called):
                key = (node.get(camunda("formKey")) or "").strip()
                if key and key not in known:
                    found.setdefault(key, node)
    return found


def _resolve_forms(keys: list[str], source: FormSource, process, problems: ProblemList, filename: str,
                   named_elsewhere: dict | None = None) -> dict:
    forms = {}
    for key in keys:
        nodes = [n for n in process.iter() if isinstance(n.tag, str) and n.get(camunda("formKey")) == key]
        if not nodes and (named_elsewhere or {}).get(key) is not None:
            nodes = [named_elsewhere[key]]
        where = {"node": nodes[0], "file": filename} if nodes else {"file": filename}
        if ":" in key:
            problems.error("form_unsupported", N_("Form key %(key)s points to a Camunda-specific form (embedded HTML "
                                                  "or Camunda Forms). Lincah renders JSON Schema forms: name a form "
                                                  "such as '%(suggestion)s' and supply its .json file."),
                           params={"key": repr(key),
                                   "suggestion": f"{process.get('id')}/{key.rsplit('/', 1)[-1].split('.')[0]}"},
                           **where)
            continue
        files = source.find(key, keys)
        if files is None:
            problems.error("form_missing", N_("Form %(key)s was not found: expected a JSON Schema file named "
                                              "'%(file)s' in the forms folder or the upload."),
                           params={"key": repr(key), "file": key if key.endswith(".json") else key + ".json"},
                           **where)
            continue
        form, messages = check_form(files)
        for message in messages:
            # The Indonesian keeps what is wrong and where: without it the pages said just "invalid", and the
            # analyst could not tell which field to change.
            problems.error("form_invalid", N_("Form %(key)s: %(message)s."),
                           params={"key": repr(key), "message": message}, **where)
        if form is not None:
            forms[key] = form
    return forms


