"""A model folder — BPMN files that call each other, their DMN tables and JSON forms — deployed as one service.

spiff-arena keeps each process model in a folder: the primary diagram, the diagrams its call activities call, the
decision tables its business rule tasks name and the JSON Schema / UI schema files its user tasks name, with a
``process_model.json`` that names the primary file. Here such a folder (on disk, as uploaded files, or as a zip)
becomes the arguments of ``engine.services.definitions.lint``/``deploy``: the primary diagram, every other file as
supporting, every JSON file as a form upload.

Which diagram is the service: ``primary_file_name`` of ``process_model.json`` when there is one; else the one
diagram whose process no other diagram of the folder calls. A folder is a model folder when it holds
``process_model.json`` or its diagrams use spiff-arena's extensions (:func:`is_model_folder`); a folder of
Camunda diagrams (such as Lincah's own ``processes/``) stays a folder of services deployed one by one.

A zip is untrusted: its entries are counted, sized and read with a bound (a small zip may claim or inflate to
gigabytes), and names that climb out of the folder, are absolute or are links are refused, each by name.
"""

from __future__ import annotations

import io
import posixpath
import stat
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from engine.bpmn.compiler import SourceFile
from engine.bpmn.names import xpath
from engine.bpmn.problems import ProblemList
from engine.bpmn.spiff_flavour import SPIFF_NS
from engine.bpmn.xml import load_xml
from engine.errors import InvalidDefinition
from engine.forms.schemas import FormSource
from engine.texts import N_

MARKER = "process_model.json"
KINDS = (".bpmn", ".dmn", ".json")
MAX_FILES = 200
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_TOTAL_BYTES = 20 * 1024 * 1024
MAX_ZIP_BYTES = 16 * 1024 * 1024  # the archive itself, as uploaded
_CHUNK = 64 * 1024


# What the analyst reads when a folder or zip cannot be a model, by problem code.
_TEXTS = {
    "zip_invalid": N_("%(file)s is not a zip archive that can be read (%(reason)s). Pack the model folder as a "
                      ".zip file."),
    "zip_too_many": N_("%(file)s holds %(count)s entries; a model folder may hold at most %(limit)s files."),
    "zip_too_large": N_("%(file)s unpacks to more than %(limit)s bytes; a model folder's files together may hold "
                        "at most that."),
    "zip_nested": N_("%(file)s holds files in sub-folders (%(entry)s); a model folder is flat: its diagrams, "
                     "tables and forms side by side."),
    "folder_too_many": N_("The folder %(folder)s holds %(count)s diagrams, tables and forms; a model folder may hold "
                          "at most %(limit)s files."),
    "folder_too_large": N_("The files of the folder %(folder)s together hold more than %(limit)s bytes; a model "
                           "folder's files together may hold at most that."),
    "model_duplicate": N_("The model folder %(folder)s holds two files named %(entry)s."),
    "model_no_bpmn": N_("The model folder %(folder)s holds no BPMN diagram (.bpmn)."),
    "model_primary": N_("%(marker)s names %(entry)s as the primary file, which is not in the model folder "
                        "%(folder)s."),
    "model_primary_2": N_("The model folder %(folder)s has %(count)s diagrams that no other calls (%(files)s), so "
                          "it is not clear which one is the service. Add %(marker)s with \"primary_file_name\" "
                          "naming it."),
}


@dataclass
class ModelFolder:
    name: str
    main: SourceFile
    supporting: list[SourceFile]
    forms: FormSource


def is_model_folder(path: Path) -> bool:
    """``path`` holds ``process_model.json``, or diagrams drawn for spiff-arena of which exactly one is not called
    by another: the service, with the files it calls, its tables and forms (a folder of unrelated spiff-arena
    diagrams stays a folder of services, each deployed on its own)."""
    if (path / MARKER).is_file():
        return True
    texts = {p.name: p.read_bytes() for p in sorted(path.glob("*.bpmn"))
             if p.is_file() and p.stat().st_size <= MAX_FILE_BYTES}
    if not any(SPIFF_NS.encode() in text for text in texts.values()):
        return False
    processes, called = _processes_and_calls(texts)
    return sum(1 for ids in processes.values() if ids - called) == 1


def from_directory(path: Path) -> ModelFolder:
    """The model folder at ``path`` (its own files; sub-folders are other models). Raises ``InvalidDefinition``."""
    files = [(p.name, p.read_bytes()) for p in sorted(path.iterdir())
             if p.is_file() and p.suffix.lower() in KINDS and p.stat().st_size <= MAX_FILE_BYTES]
    return from_files(path.name, files)


def from_zip(name: str, data: bytes) -> ModelFolder:
    """The model folder packed in a zip upload (flat, or one folder at the top). Raises ``InvalidDefinition``."""
    problems = ProblemList()
    if len(data) > MAX_ZIP_BYTES:
        raise _refusal(name, problems, "zip_too_large", _TEXTS["zip_too_large"],
                       {"file": name, "limit": f"{MAX_ZIP_BYTES:,}"})
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _refusal(name, problems, "zip_invalid", _TEXTS["zip_invalid"],
                       {"file": name, "reason": str(exc)}) from None
    if len(entries) > MAX_FILES:
        raise _refusal(name, problems, "zip_too_many", _TEXTS["zip_too_many"],
                       {"file": name, "count": len(entries), "limit": MAX_FILES})
    with archive:
        files = _within_total(_zip_files(archive, entries, name, problems), lambda: _refusal(
            name, problems, "zip_too_large", _TEXTS["zip_too_large"],
            {"file": name, "limit": f"{MAX_TOTAL_BYTES:,}"}))
    if problems.errors:
        raise _invalid(name, problems)
    return from_files(name.rsplit(".", 1)[0], _flattened(files, name, problems))


def from_uploads(name: str, uploads: list[tuple[str, object]]) -> ModelFolder:
    """The model folder chosen in the browser (each file's name and a readable stream), read with the zip's bounds:
    at most ``MAX_FILES`` files, ``MAX_FILE_BYTES`` each and ``MAX_TOTAL_BYTES`` together, each limit refused by
    name. Files of other kinds are left out, as in a zip. Raises ``InvalidDefinition``."""
    problems = ProblemList()
    kept = [(posixpath.basename(file_name.replace("\\", "/")), stream) for file_name, stream in uploads
            if file_name.lower().endswith(KINDS) and not _ignored(file_name)]
    if len(kept) > MAX_FILES:
        raise _refusal(name, problems, "folder_too_many", _TEXTS["folder_too_many"],
                       {"folder": name, "count": len(kept), "limit": MAX_FILES})
    files = _within_total(_uploaded_files(kept, name, problems), lambda: _refusal(
        name, problems, "folder_too_large", _TEXTS["folder_too_large"],
        {"folder": name, "limit": f"{MAX_TOTAL_BYTES:,}"}))
    if problems.errors:
        raise _invalid(name, problems)
    return from_files(name, files)


def _within_total(files: Iterator[tuple[str, bytes]],
                  too_large: Callable[[], InvalidDefinition]) -> list[tuple[str, bytes]]:
    """The files as they are read, refused with ``too_large()`` as soon as together they pass ``MAX_TOTAL_BYTES``:
    ``files`` is read lazily, so nothing more is read (or decompressed) after that."""
    kept, total = [], 0
    for file_name, content in files:
        total += len(content)
        if total > MAX_TOTAL_BYTES:
            raise too_large()
        kept.append((file_name, content))
    return kept


def _zip_files(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo], name: str,
               problems: ProblemList) -> Iterator[tuple[str, bytes]]:
    """The archive's model files, one at a time (what is not one, or is unsafe or too large, noted or passed)."""
    for entry in entries:
        if entry.is_dir() or _ignored(entry.filename):
            continue
        entry_name = _safe_name(entry, name, problems)
        if entry_name is None or not entry_name.lower().endswith(KINDS):
            continue
        content = _bounded_read(archive, entry, name, problems)
        if content is not None:
            yield entry_name, content


def _uploaded_files(kept: list[tuple[str, object]], name: str, problems: ProblemList) -> Iterator[tuple[str, bytes]]:
    """The uploaded model files, one at a time; one over ``MAX_FILE_BYTES`` is noted in ``problems`` and passed."""
    for file_name, stream in kept:
        content = stream.read(MAX_FILE_BYTES + 1)
        if len(content) > MAX_FILE_BYTES:
            problems.error("folder_file_too_large", N_("%(entry)s in the folder %(folder)s is larger than %(limit)s "
                                                       "bytes."), file=file_name,
                           params={"entry": repr(file_name), "folder": name, "limit": f"{MAX_FILE_BYTES:,}"})
            continue
        yield file_name, content


def _ignored(filename: str) -> bool:
    """What archivers add beside the files: macOS resource forks and Finder data."""
    return filename.startswith("__MACOSX/") or posixpath.basename(filename) in {".DS_Store", "Thumbs.db"}


def _safe_name(entry: zipfile.ZipInfo, archive_name: str, problems: ProblemList) -> str | None:
    name = entry.filename.replace("\\", "/")
    parts = name.split("/")
    mode = entry.external_attr >> 16
    if name.startswith("/") or (parts and ":" in parts[0]) or ".." in parts or any(ord(c) < 32 for c in name):
        problems.error("zip_path", N_("%(file)s contains %(entry)s, a path outside the model folder; pack only the "
                                      "folder's own files."), file=archive_name,
                       params={"file": archive_name, "entry": repr(entry.filename)})
        return None
    if stat.S_ISLNK(mode):
        problems.error("zip_link", N_("%(file)s contains %(entry)s, a symbolic link; pack the files themselves."),
                       file=archive_name, params={"file": archive_name, "entry": repr(entry.filename)})
        return None
    return name


def _bounded_read(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, archive_name: str,
                  problems: ProblemList) -> bytes | None:
    """The entry's content, read at most ``MAX_FILE_BYTES`` (+1) whatever its header claims."""
    too_large = {"file": archive_name, "entry": repr(entry.filename), "limit": f"{MAX_FILE_BYTES:,}"}
    if entry.file_size > MAX_FILE_BYTES:
        problems.error("zip_entry_too_large", N_("%(entry)s in %(file)s is larger than %(limit)s bytes."),
                       file=archive_name, params=too_large)
        return None
    buffer = bytearray()
    try:
        with archive.open(entry) as stream:
            while len(buffer) <= MAX_FILE_BYTES:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    break
                buffer += chunk
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError) as exc:
        problems.error("zip_invalid", N_("%(file)s is not a zip archive that can be read (%(reason)s). Pack the model "
                                         "folder as a .zip file."), file=archive_name,
                       params={"file": archive_name, "reason": f"{entry.filename}: {exc}"})
        return None
    if len(buffer) > MAX_FILE_BYTES:
        problems.error("zip_entry_too_large", N_("%(entry)s in %(file)s is larger than %(limit)s bytes."),
                       file=archive_name, params=too_large)
        return None
    return bytes(buffer)


def _flattened(files: list[tuple[str, bytes]], archive_name: str, problems: ProblemList) -> list[tuple[str, bytes]]:
    """The files by their own names: a zip of a folder puts one folder at the top; deeper folders are refused."""
    tops = {name.split("/", 1)[0] for name, _ in files if "/" in name}
    if len(tops) == 1 and all("/" in name for name, _ in files):
        files = [(name.split("/", 1)[1], content) for name, content in files]
    nested = [name for name, _ in files if "/" in name]
    if nested:
        raise _refusal(archive_name, problems, "zip_nested", _TEXTS["zip_nested"],
                       {"file": archive_name, "entry": nested[0]})
    return files


def from_files(name: str, files: list[tuple[str, bytes]]) -> ModelFolder:
    """The model folder made of ``files`` (file name, content). Raises ``InvalidDefinition`` when no diagram, or
    no single one, is the service."""
    problems = ProblemList()
    by_name = {}
    for file_name, content in files:
        if file_name in by_name:
            raise _refusal(name, problems, "model_duplicate", _TEXTS["model_duplicate"],
                           {"folder": name, "entry": repr(file_name)})
        by_name[file_name] = content
    diagrams = [n for n in by_name if n.lower().endswith(".bpmn")]
    if not diagrams:
        raise _refusal(name, problems, "model_no_bpmn", _TEXTS["model_no_bpmn"],
                       {"folder": name})
    main = _primary(name, by_name, diagrams, problems)
    supporting = [SourceFile(n, by_name[n]) for n in sorted(by_name) if n != main and not n.lower().endswith(".json")]
    forms = FormSource({n: c for n, c in by_name.items() if n.lower().endswith(".json") and n != MARKER}, [])
    return ModelFolder(name, SourceFile(main, by_name[main]), supporting, forms)


def _primary(name: str, by_name: dict[str, bytes], diagrams: list[str], problems: ProblemList) -> str:
    if MARKER in by_name:
        try:
            primary = orjson.loads(by_name[MARKER]).get("primary_file_name")
        except (orjson.JSONDecodeError, AttributeError):
            primary = None
        if primary in diagrams:
            return primary
        if primary:
            raise _refusal(name, problems, "model_primary", _TEXTS["model_primary"],
                           {"marker": MARKER, "entry": repr(primary), "folder": name}, file=MARKER)
    if len(diagrams) == 1:
        return diagrams[0]
    processes, called = _processes_and_calls({d: by_name[d] for d in diagrams})
    # A diagram every process of which some other diagram calls is a part; the rest are services.
    uncalled = [d for d in diagrams if d in processes and processes[d] - called]
    if len(uncalled) == 1:
        return uncalled[0]
    raise _refusal(name, problems, "model_primary", _TEXTS["model_primary_2"],
                   {"folder": name, "count": len(uncalled), "files": ", ".join(uncalled) or "-", "marker": MARKER})


def _processes_and_calls(texts: dict[str, bytes]) -> tuple[dict[str, set[str]], set[str]]:
    """The process ids of each diagram that loads, and every process id some call activity calls."""
    processes, called = {}, set()
    for name, text in texts.items():
        tree = load_xml(text, name, ProblemList(), MAX_FILE_BYTES)
        if tree is None:
            continue
        processes[name] = set(xpath(tree.getroot(), "./bpmn:process/@id"))
        called |= set(xpath(tree.getroot(), ".//bpmn:callActivity/@calledElement"))
    return processes, called


def _refusal(name: str, problems: ProblemList, code: str, message: str, params: dict,
             file: str | None = None) -> InvalidDefinition:
    problems.error(code, message, file=file or name, params=params)
    return _invalid(name, problems)


def _invalid(name: str, problems: ProblemList) -> InvalidDefinition:
    return InvalidDefinition(f"{name} cannot be deployed as a model folder: {len(problems.errors)} error(s). Fix the "
                            "problems listed and deploy again.", [p.to_dict() for p in problems.sorted()])
