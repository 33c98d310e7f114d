"""A service's letter template filled once at deploy with sample data, under the limits an issued letter has.

Lint reads a template (it parses, names fields the forms have, names only what a letter is given), but only filling
it shows what it does: an unknown filter, ``data.vessel.name.x`` on a value without it, a loop that never ends or
prints megabytes. Without this trial such a template deploys and fails at the very end of an application, when the
head of office signs. So every lint and deploy (``engine.services.definitions``, through ``EngineContext``) fills it
with a sample file — each form field given its example, default, first choice or a plausible value
(``letter_sample.value_for``), a stand-in office, signer and number — in a bounded child process
(``bounded_call``: the same time limit as issuing, ``LINCAH_LETTER_RENDER_SECONDS``, and the same memory limit),
and refuses it with the template's file name, the line when Jinja gives one, what went wrong and what to change.

Only the HTML stage (Jinja) runs, not WeasyPrint's layout: the errors an analyst can make live in the template's
expressions, while layout costs about 0.6 s per letter in a warm bounded child against 60-75 ms for the HTML stage
(the bundled letters, measured 2026-12-06 on a busy 2-core host), which every lint and the modeler's
lint-as-you-draw would pay. What layout could still overrun — HTML too large to lay out in time — is refused by
size (``MAX_FILLED_BYTES``); a stylesheet that is slow to lay out is not caught here. A verdict is kept per
template, sample and limit (``_verdicts``), so linting the same template again while drawing costs nothing — a
template stopped at the time limit included, which would otherwise hold a request that long at every lint.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

import orjson
from jinja2 import nodes

from engine.bpmn.problems import ProblemList
from engine.documents import attachments, bounded_call, letter_context, letter_rendering, letter_sample
from engine.forms.schemas import ATTACHMENT_FORMAT
from engine.people.offices import OfficeView
from engine.people.profiles import Signer
from engine.services.letter_templates import LetterFiles, parse
from engine.storage.models import Attachment
from engine.texts import N_

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.bpmn.compiler import Compiled
    from engine.context import EngineContext

#: A filled letter is some kilobytes (a few hundred with an emblem); more is a loop repeating text or images, which
#: WeasyPrint would then lay out page by page until the time limit stops it when the permit is issued.
MAX_FILLED_BYTES = 2 * 2**20
SAMPLE_NUMBER = "503/00001/CONTOH/{year}"
_KEPT = 64  # verdicts remembered: the templates an installation's analysts lint in a day
_verdicts: OrderedDict[str, tuple] = OrderedDict()
_verdicts_lock = threading.Lock()


def check(ctx: EngineContext, files: LetterFiles, compiled: Compiled, problems: ProblemList) -> None:
    """Fill ``files`` as the letter of ``compiled`` once; add a located problem when that fails."""
    seconds = ctx.settings.letter_render_seconds
    context = sample_context(ctx, compiled)
    verdict = _verdict(files, context, seconds)
    kind = verdict[0]
    where = {"file": files.origin, "element_id": compiled.key}
    if kind == "raised":
        _, error, line = verdict
        problems.error("letter_fill_failed",
                       N_("Filled with sample data of this service's forms, the letter template fails: %(reason)s. "
                          "It would fail the same way when a permit is issued; fix the expression on the line "
                          "named (a filter Lincah has, a field the forms have, |default('') for one that may be "
                          "empty)."),
                       line=line, params={"reason": error}, **where)
    elif kind == "time":
        where["line"] = _first_loop(files)
        problems.error("letter_fill_too_slow",
                       N_("Filled with sample data, the letter template took longer than %(seconds)s s and was "
                          "stopped; look for loops over large ranges, nested loops or text repeated without end."),
                       params={"seconds": f"{seconds:g}"}, **where)
    elif kind == "memory":
        where["line"] = _first_loop(files)
        problems.error("letter_fill_too_large",
                       N_("Filled with sample data, the letter template needed more than %(limit)s MB and was "
                          "stopped; look for very long repeated text or loops that repeat images."),
                       params={"limit": letter_rendering.RENDER_MEMORY // 2**20}, **where)
    elif kind == "size" and verdict[1] > MAX_FILLED_BYTES:
        where["line"] = _first_loop(files)
        problems.error("letter_fill_too_large_output",
                       N_("Filled with sample data, the letter template makes %(size)s KB of HTML, more than the "
                          "%(limit)s KB a letter may be; look for loops that repeat text or images (the emblem "
                          "comes from the office's settings)."),
                       params={"size": verdict[1] // 1024, "limit": MAX_FILLED_BYTES // 1024}, **where)


def _first_loop(files: LetterFiles) -> int | None:
    """The line of the template's first ``{% for %}``, where a letter stopped for its cost is looked at first (a
    stopped child says nothing of where it was); ``None`` without loops."""
    lines = [loop.lineno for loop in parse(files).find_all(nodes.For)]
    return min(lines) if lines else None


def _verdict(files: LetterFiles, context: dict, seconds: float) -> tuple:
    """``("size", bytes)``, ``("raised", reason, line)``, ``("time",)`` or ``("memory",)``; remembered per
    template, sample and limit."""
    key = hashlib.sha256(files.sha256.encode() + orjson.dumps(context, option=orjson.OPT_SORT_KEYS, default=str)
                         + f"{seconds!r}".encode()).hexdigest()
    with _verdicts_lock:
        if key in _verdicts:
            _verdicts.move_to_end(key)
            return _verdicts[key]
    try:
        verdict = bounded_call.call(letter_rendering.filled_size, files, context, seconds=seconds,
                                    memory_bytes=letter_rendering.RENDER_MEMORY, here_if_alone=True)
    except bounded_call.Overrun as overrun:
        verdict = (overrun.kind,)
    except bounded_call.ChildFailed as failed:
        verdict = ("raised", str(failed)[:300], None)
    with _verdicts_lock:
        _verdicts[key] = verdict
        while len(_verdicts) > _KEPT:
            _verdicts.popitem(last=False)
    return verdict


def sample_context(ctx: EngineContext, compiled: Compiled) -> dict:
    """What an issued letter of ``compiled`` is given (``letter_context.fill``), for a sample file: every form
    field with a plausible value, the installation's own office by its code, a stand-in signer and number."""
    now = ctx.now()
    jurisdiction = ctx.settings.default_jurisdiction
    today = now.astimezone(ctx.calendars.timezone(jurisdiction)).date()
    meta = compiled.meta or {}
    form_fields, start_fields = _fields(compiled)
    data = {name: letter_sample.value_for(prop, name, today) for name, prop in form_fields.items()}
    data = {name: value for name, value in data.items() if value is not None}
    data.update(_stand_in_uploads(form_fields))
    number = SAMPLE_NUMBER.format(year=today.year)
    data.setdefault("permit_number", number)
    data.setdefault("issued", True)
    code = ((meta.get("process") or {}).get("properties") or {}).get("code") or compiled.key
    office = OfficeView(jurisdiction, "Dinas Contoh", "Jl. Contoh No. 1", "Makassar",
                        ctx.settings.public_url or "http://localhost", None, None, {})
    paper = letter_context.Paper(meta, compiled.key or "", f"UJI-COBA/{code}/{today.year}/00001", "uji-coba",
                                 form_fields, start_fields, office,
                                 Signer("contoh", "Contoh Penandatangan", "Kepala Dinas", "Pembina (IV/a)",
                                        "197001011990031001"))
    issue = letter_context.Issue(number, now, "contoh", f"{office.public_url.rstrip('/')}/verify/contoh")
    return letter_context.fill(paper, data, issue, today)


def _stand_in_uploads(form_fields: dict[str, dict]) -> dict:
    """A reference to a sample upload for each attachment field: a real file's data holds one (a preview leaves
    them out, printing no document), so ``data.proposal.name`` fills as it would when the permit is issued."""
    upload = attachments.reference(Attachment(id="contoh", name="contoh.pdf", size=20480,
                                              content_type="application/pdf"))
    found = {}
    for name, prop in form_fields.items():
        items = prop.get("items") if isinstance(prop.get("items"), dict) else {}
        if prop.get("format") == ATTACHMENT_FORMAT:
            found[name] = dict(upload)
        elif prop.get("type") == "array" and items.get("format") == ATTACHMENT_FORMAT:
            found[name] = [dict(upload)]
    return found


def _fields(compiled: Compiled) -> tuple[dict[str, dict], dict[str, dict]]:
    """Every form's top-level fields (start form first, as the preview orders them) and the start form's."""
    start_key = (compiled.meta or {}).get("start_form")
    order = ([start_key] if start_key in compiled.forms else []) + sorted(k for k in compiled.forms if k != start_key)
    found: dict[str, dict] = {}
    start: dict[str, dict] = {}
    for form_key in order:
        schema = compiled.forms[form_key].schema
        properties = (schema.get("properties") if isinstance(schema, dict) else None) or {}
        for name, prop in properties.items():
            if isinstance(name, str) and isinstance(prop, dict):
                found.setdefault(name, prop)
                if form_key == start_key:
                    start[name] = prop
    return found, start
