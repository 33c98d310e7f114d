"""What lint and deploy do besides compiling, so that the two can never disagree and neither can crash.

``engine.services.definitions.lint`` is the one check behind ``lincah lint``, ``POST /lint``, the modeler and every
deploy; it goes through here:

- element ids the engine keeps for itself are renamed in the text first (``engine.bpmn.reserved_ids``);
- the compiled spec is stored, restored and started once (``engine.workflow.spec_preparation``), and the text it
  becomes is what the deploy stores — a spec the store would refuse is a located problem at lint time;
- anything else that goes wrong is logged and becomes a located problem asking the analyst to report it, so no
  diagram, whatever it holds, makes a deploy answer 500. The corpus (``bench/corpus_deploy.py``) never gets here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from engine.bpmn.compiler import Compiled, SourceFile
from engine.bpmn.problems import ProblemList
from engine.bpmn.reserved_ids import might_hold_reserved_ids, rename_reserved
from engine.texts import N_, Text
from engine.workflow.spec_preparation import Unprepared, prepare

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

log = logging.getLogger("lincah.deploy")


def without_reserved_ids(source: SourceFile, notes: ProblemList, max_bytes: int) -> SourceFile:
    """``source`` with the ids the engine keeps for itself renamed (warnings go to ``notes``)."""
    data = source.data.encode("utf-8") if isinstance(source.data, str) else source.data
    if not might_hold_reserved_ids(data):
        return source
    text = data.decode("utf-8", errors="replace")
    renamed = rename_reserved(text, notes, source.name, max_bytes)
    return source if renamed is text else SourceFile(source.name, renamed.encode("utf-8"))


def prepare_spec(ctx: EngineContext, compiled: Compiled) -> None:
    """Set ``compiled.spec_json``, or add the located problem that says why the spec cannot be stored."""
    if not compiled.ok:
        return
    try:
        compiled.spec_json = prepare(ctx.codec, compiled.spec, compiled.subprocess_specs)
    except Unprepared as exc:
        log.warning("spec of %s not prepared: %s", compiled.main_file, exc, exc_info=exc.__cause__)
        compiled.spec = None
        element = exc.element_id or compiled.key
        compiled.problems.error(
            "engine_prepare", N_("The engine could not prepare %(element)s for running: %(reason)s. Please report "
                                 "this to the Lincah team with the file; meanwhile, drawing the element another way "
                                 "may help."),
            file=compiled.main_file, element_id=element, line=_line_of(compiled, element),
            params={"element": repr(element), "reason": exc.reason})


def guarded(main: SourceFile, check: Callable[[], Compiled]) -> Compiled:
    """``check()``; an exception it did not expect becomes a compiled result with one located problem (and a log
    entry with the traceback), never an exception out of lint or deploy."""
    try:
        return check()
    except Exception as exc:  # noqa: BLE001 - the last resort: a located problem and a log entry, never a 500
        log.exception("lint of %s failed", main.name)
        element = _element_in_traceback(exc)
        what = Text(N_("element %(id)s"), {"id": repr(element)}) if element else Text(N_("this diagram"))
        compiled = Compiled(main.name)
        compiled.problems.error(
            "engine_failure", N_("The engine could not prepare %(what)s: %(error)s. Please report this to the Lincah "
                                 "team with the file."),
            file=main.name, element_id=element, line=None if element else 1,
            params={"what": what, "error": f"{type(exc).__name__}: {exc}"})
        return compiled


def _element_in_traceback(exc: BaseException) -> str | None:
    """The id of the element the failing code was looking at: the innermost frame holding an XML element or a task
    spec in a local variable."""
    traceback = exc.__traceback__
    frames = []
    while traceback is not None:
        frames.append(traceback.tb_frame)
        traceback = traceback.tb_next
    for frame in reversed(frames):
        for value in frame.f_locals.values():
            element_id = _id_of(value)
            if element_id:
                return element_id
    return None


def _id_of(value) -> str | None:
    get = getattr(value, "get", None)
    if "lxml" in type(value).__module__ and callable(get):
        return value.get("id")
    bpmn_id = getattr(value, "bpmn_id", None)
    return bpmn_id if isinstance(bpmn_id, str) else None


def _line_of(compiled: Compiled, element_id: str | None) -> int | None:
    if not element_id:
        return None
    for text in compiled.texts.values():
        match = re.search(rf"""\sid\s*=\s*(["']){re.escape(element_id)}\1""", text)
        if match:
            return text.count("\n", 0, match.start()) + 1
    return 1
