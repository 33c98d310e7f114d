"""A service's letter template: the HTML (+ optional CSS) its permit letter is rendered from, deployed with the
definition like its forms — found beside the diagram as ``letters/<service key>.html`` (and ``.css``) or uploaded,
checked at deploy, frozen by content hash (``letter_template``) and named in the version's ``meta["letter"]``.

The template language is Jinja2 in its immutable sandbox with autoescaping: an analyst's template can read the
values it is given and format them, never call into Python or change anything, and whatever an applicant typed is
escaped. The file's data is ``data`` (any field of any step: ``data.measured_gt``); lint refuses a template that
does not parse (with its line) or names a field no form of the service has, or a variable the letter is not given.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import TemplateSyntaxError, meta, nodes
from jinja2.compiler import CodeGenerator
from jinja2.sandbox import ImmutableSandboxedEnvironment
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.bpmn.problems import ProblemList
from engine.storage.models import LetterTemplate
from engine.texts import N_

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.bpmn.compiler import Compiled
    from engine.context import EngineContext

MAX_TEMPLATE_BYTES = 256 * 1024
# What every letter is given besides the file's data (engine.documents.letter_rendering builds these).
CONTEXT_NAMES = frozenset({"data", "office", "permit", "signer", "copies", "qr", "verify_url", "service",
                           "holder", "place_date", "valid_until", "fields", "details", "draft"})
# Fields that identify a person: never given to a template, so a template naming one is refused at deploy.
PRIVATE_FIELDS = frozenset({"nik", "email", "phone", "npwp", "declaration"})
# Fields the engine or the diagram's issuing script writes, which no form declares.
ENGINE_FIELDS = frozenset({"permit_number", "issued", "decision"})


@dataclass(frozen=True)
class LetterFiles:
    """A template as found: where from (the file name problems name), its HTML and CSS."""

    origin: str
    html: str
    css: str | None = None

    @property
    def sha256(self) -> str:
        digest = hashlib.sha256(b"lincah.letter.1\0" + self.html.encode() + b"\0")
        digest.update((self.css or "").encode())
        return digest.hexdigest()


class LetterSource:
    """Looks a service's template up in an upload first, then ``<folder>/letters/<key>.html`` in each folder."""

    def __init__(self, upload: bytes | str | None = None, folders: list[Path] | None = None,
                 upload_css: bytes | str | None = None, upload_name: str = "upload:letter"):
        self.upload, self.upload_css, self.upload_name = upload, upload_css, upload_name
        self.folders = [Path(f) for f in (folders or [])]

    def find(self, key: str | None) -> LetterFiles | None:
        if self.upload is not None:
            return LetterFiles(self.upload_name, _text(self.upload), _text(self.upload_css))
        for folder in self.folders:
            path = folder / "letters" / f"{key}.html"
            if key and "/" not in key and path.is_file():
                css = path.with_suffix(".css")
                return LetterFiles(str(path), path.read_text(encoding="utf-8"),
                                   css.read_text(encoding="utf-8") if css.is_file() else None)
        return None


def _text(data: bytes | str | None) -> str | None:
    if data is None or isinstance(data, str):
        return data
    return data.decode("utf-8", errors="replace")


MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember")


def tanggal(value: date | datetime | str | None) -> str:
    """``6 Desember 2026``: a date as Indonesian letters write it (the template filter ``tanggal``); an ISO text is
    read first, other text stays as it is."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    if value is None:
        return ""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def environment() -> ImmutableSandboxedEnvironment:
    """The one environment templates are checked and rendered in."""
    env = ImmutableSandboxedEnvironment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["tanggal"] = tanggal
    return env


_ENV = environment()


def parse(files: LetterFiles) -> nodes.Template:
    """The template's syntax tree; ``TemplateSyntaxError`` when it does not parse."""
    return _ENV.parse(files.html)


def compile_template(files: LetterFiles):
    """The template ready to render; ``TemplateSyntaxError`` if it does not parse (lint reports that first)."""
    return _ENV.from_string(files.html)


def check(files: LetterFiles, compiled: Compiled, problems: ProblemList) -> None:
    """Add a located problem for each thing wrong with ``files`` as the letter of ``compiled``."""
    if len(files.html.encode()) + len((files.css or "").encode()) > MAX_TEMPLATE_BYTES:
        problems.error("letter_too_large", N_("The letter template is larger than %(limit)s KB; keep images out "
                                              "of it (the emblem comes from the office's settings)."),
                       file=files.origin, element_id=compiled.key, params={"limit": MAX_TEMPLATE_BYTES // 1024})
        return
    check_fields(files, compiled.key, form_fields(compiled), problems)


def check_fields(files: LetterFiles, key: str | None, fields: set[str], problems: ProblemList) -> None:
    """``check`` against the fields ``fields`` of the service ``key`` (a preview checks a template this way)."""
    try:
        tree = _ENV.parse(files.html)
    except TemplateSyntaxError as exc:
        problems.error("letter_syntax", N_("The letter template does not parse: %(reason)s. Fix the line named."),
                       file=files.origin, line=exc.lineno, element_id=key, params={"reason": exc.message})
        return
    known = fields | ENGINE_FIELDS
    for name, line in data_fields(tree):
        if name in PRIVATE_FIELDS:
            problems.error("letter_private_field",
                           N_("The letter template names field %(field)s, which identifies a person and is never "
                              "printed on a letter anyone may be shown; leave it out."),
                           file=files.origin, line=line, element_id=key, params={"field": repr(name)})
        elif name not in known:
            problems.error("letter_unknown_field",
                           N_("The letter template names field %(field)s, which no form of this service has; "
                              "use a field of one of its forms (e.g. %(example)s) or add it to a form."),
                           file=files.origin, line=line, element_id=key,
                           params={"field": repr(name), "example": ", ".join(sorted(known)[:3])})
    try:
        undeclared = undeclared_names(tree)  # compiles the tree: an unknown filter is found here
    except TemplateSyntaxError as exc:
        problems.error("letter_compile", N_("The letter template cannot be compiled: %(reason)s. Fix the line named "
                                            "(tanggal is Lincah's own filter; the others are Jinja's built-in ones)."),
                       file=files.origin, line=exc.lineno, element_id=key, params={"reason": exc.message})
        return
    for name in sorted(undeclared - CONTEXT_NAMES):
        problems.error("letter_unknown_name",
                       N_("The letter template uses %(name)s, which a letter is not given; the names are: "
                          "%(names)s (form fields are data.<field>)."),
                       file=files.origin, line=_first_line(tree, name), element_id=key,
                       params={"name": repr(name), "names": ", ".join(sorted(CONTEXT_NAMES))})


class _NamesRead(meta.TrackingCodeGenerator):
    """``meta.find_undeclared_variables``'s walk without its optimizer, which folds constant expressions while it
    walks: ``{{ 'x' * 4000000000 }}`` or ``{{ 'x'|center(10**9) }}`` would be computed here, in the server's process,
    at lint. Only the bounded child that fills a template (``engine.documents.letter_rendering``) evaluates any."""

    def __init__(self, environment) -> None:
        CodeGenerator.__init__(self, environment, "<introspection>", "<introspection>", optimized=False)
        self.undeclared_identifiers: set[str] = set()

    def _output_child_to_const(self, node, frame, finalize):
        raise nodes.Impossible()  # what {{ … }} prints is folded here otherwise, whatever it costs

    def visit_EvalContextModifier(self, node, frame) -> None:
        for keyword in node.options:  # {% autoescape … %}: its value read, never computed
            self.visit(keyword.value, frame)
        frame.eval_ctx.volatile = True


def undeclared_names(tree: nodes.Template) -> set[str]:
    """The names ``tree`` reads that it does not set itself; ``TemplateSyntaxError`` (an assertion error) when it
    uses a filter or test the environment lacks."""
    names = _NamesRead(_ENV)
    names.visit(tree)
    return names.undeclared_identifiers


def form_fields(compiled: Compiled) -> set[str]:
    """Every field any form of the service declares (top-level properties)."""
    found = set()
    for form in compiled.forms.values():
        properties = form.schema.get("properties") if isinstance(form.schema, dict) else None
        found.update(name for name in (properties or {}) if isinstance(name, str))
    return found


FIELD_MAPS = ("data", "fields")  # the file's data raw, and as its forms show it


def data_fields(tree: nodes.Template) -> list[tuple[str, int]]:
    """``(field, line)`` for each ``data.x``, ``data['x']`` and ``data.get('x')`` (and the same of ``fields``)."""
    found = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        if not (isinstance(node.node, nodes.Name) and node.node.name in FIELD_MAPS):
            continue
        if isinstance(node, nodes.Getattr) and node.attr != "get":
            found.append((node.attr, node.lineno))
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value,
                                                                                                    str):
            found.append((node.arg.value, node.lineno))
    for call in tree.find_all(nodes.Call):
        target = call.node
        if (isinstance(target, nodes.Getattr) and target.attr == "get" and isinstance(target.node, nodes.Name)
                and target.node.name in FIELD_MAPS and call.args and isinstance(call.args[0], nodes.Const)):
            found.append((str(call.args[0].value), call.lineno))
    return found


def fallbacks(tree: nodes.Template) -> dict[str, str]:
    """``{b: a}`` for each ``data.a or data.b`` (``fields`` too): ``b`` is printed only when ``a`` is empty."""
    found = {}
    for node in tree.find_all(nodes.Or):
        left, right = data_fields(nodes.Template([nodes.Output([node.left])])), \
            data_fields(nodes.Template([nodes.Output([node.right])]))
        if left:
            for name, _line in right:
                found.setdefault(name, left[0][0])
    return found


def _first_line(tree: nodes.Template, name: str) -> int | None:
    lines = [node.lineno for node in tree.find_all(nodes.Name) if node.name == name]
    return min(lines) if lines else None


def snapshot(session: Session, ctx: EngineContext, files: LetterFiles) -> str:
    """Store the template once by its content hash (two services may share one); return the hash."""
    sha = files.sha256
    if session.get(LetterTemplate, sha) is None:
        try:
            with session.begin_nested():
                session.add(LetterTemplate(sha256=sha, html=files.html, css=files.css, created_at=ctx.now()))
                session.flush()
        except IntegrityError:
            pass  # the same template stored concurrently: identical content by definition of the hash
    return sha


def stored(session: Session, sha: str) -> LetterFiles | None:
    """A deployed template by its hash; ``None`` when there is none."""
    row = session.get(LetterTemplate, sha)
    return LetterFiles(f"letter:{sha[:12]}", row.html, row.css) if row is not None else None
