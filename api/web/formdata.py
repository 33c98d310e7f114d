"""Reading a submitted form back into typed JSON, and saying what is wrong in the person's language.

``parse`` walks the same schema the renderer drew (``forms.widget_of`` decides both), so every input is read the
way it was drawn: numbers become numbers (``12,5`` as typed in Indonesia is 12.5), checkboxes booleans, ticked
options a list, repeatable groups a list of objects, uploads attachment references. Empty inputs are left out, so
"required" is reported by the schema and optional fields stay absent. What cannot be converted is kept as typed
(``raw``) to be shown again with its error.

``messages`` turns JSON Schema validation into one sentence per field, in the chosen language; the paths are the
engine's (``engine.forms.schemas.field_errors``), the wording is the page's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from jsonschema import FormatChecker
from werkzeug.datastructures import FileStorage, MultiDict

from engine.errors import LincahError
from engine.forms import patterns
from engine.forms import schemas as engine_forms
from engine.texts import Text

from . import forms, i18n
from .forms import REF_ID, REF_NAME, REF_REMOVE

ACTION_FIELD = "_action"


@dataclass
class Submission:
    data: dict
    raw: dict = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    action: tuple[str, str] | None = None  # ("add", "crew") or ("remove", "crew.1"): change the form, do not submit


StoreFile = Callable[[FileStorage, dict], dict]


class _Parser:
    def __init__(self, root: dict, form: MultiDict, files: MultiDict, store: StoreFile | None, timezone: str):
        self.root, self.form, self.files, self.store, self.timezone = root, form, files, store, timezone
        self.raw: dict = {}
        self.errors: dict[str, str] = {}

    def object(self, schema: dict, ui: dict, prefix: str) -> tuple[bool, dict]:
        schema = forms.resolve(schema, self.root)
        out = {}
        for name, sub in (schema.get("properties") or {}).items():
            sub_ui = ui.get(name) if isinstance(ui, dict) and isinstance(ui.get(name), dict) else {}
            path = f"{prefix}.{name}" if prefix else name
            present, value = self.value(sub, sub_ui, path)
            if present:
                out[name] = value
        return bool(out), out

    def value(self, schema, ui: dict, path: str) -> tuple[bool, object]:
        schema = forms.resolve(schema, self.root)
        if schema.get("readOnly") or forms.ui_option(ui, "readonly"):
            return False, None  # what the form only shows is never taken from the browser
        widget = forms.widget_of(schema, ui, self.root)
        if widget == "fieldset":
            return self.object(schema, ui, path)
        if widget == "file":
            return self.file(schema, path)
        if widget == "files":
            return self.file_list(schema, path)
        if widget == "checkboxes":
            return self.checkboxes(schema, path)
        if widget == "group":
            return self.group(schema, ui, path)
        if widget == "checkbox":
            return True, path in self.form
        return self.scalar(schema, widget, path)

    def scalar(self, schema: dict, widget: str, path: str) -> tuple[bool, object]:
        text = (self.form.get(path) or "").replace("\r\n", "\n")
        if not text.strip():
            return False, None
        kind = forms.type_of(schema)
        choices = forms.choices_of(schema)
        if choices:
            for choice in choices:
                if forms._text(choice.get("const")) == text:
                    return True, choice.get("const")
            return True, text  # not an option: the schema says so, in the person's language
        if kind == "boolean":
            return True, text == "true"
        if kind in ("number", "integer"):
            return self.number(text.strip(), kind, path)
        if widget == "datetime":
            return self.moment(text.strip(), path)
        return True, text.strip() if widget != "textarea" else text.strip("\n ")

    def number(self, text: str, kind: str, path: str) -> tuple[bool, object]:
        cleaned = text.replace(" ", "")
        if re.fullmatch(r"-?\d+,\d+", cleaned):
            cleaned = cleaned.replace(",", ".")
        try:
            value = float(cleaned)
        except ValueError:
            self.raw[path] = text
            self.errors[path] = _("Enter a number.")
            return False, None
        if kind == "integer":
            if not value.is_integer():
                self.raw[path] = text
                self.errors[path] = _("Enter a whole number.")
                return False, None
            return True, int(value)
        return True, int(value) if value.is_integer() and "." not in cleaned else value

    def moment(self, text: str, path: str) -> tuple[bool, object]:
        try:
            local = datetime.fromisoformat(text)
        except ValueError:
            self.raw[path] = text
            self.errors[path] = _("Enter a date and time.")
            return False, None
        if local.tzinfo is None:
            local = local.replace(tzinfo=ZoneInfo(self.timezone))
        return True, local.isoformat()

    def checkboxes(self, schema: dict, path: str) -> tuple[bool, object]:
        chosen = [v for v in self.form.getlist(path) if v != ""]
        if not chosen:
            return False, None
        items = forms.resolve(schema.get("items") or {}, self.root)
        by_text = {forms._text(c.get("const")): c.get("const") for c in forms.choices_of(items)}
        return True, [by_text.get(v, v) for v in chosen]

    def upload(self, upload: FileStorage, schema: dict, path: str) -> dict | None:
        if self.store is None:
            return None
        try:
            return self.store(upload, schema)
        except LincahError as exc:
            self.errors[path] = upload_message(exc, schema.get("x-accept"))
            return None

    def file(self, schema: dict, path: str) -> tuple[bool, object]:
        upload = self.files.get(path)
        if upload is not None and upload.filename:
            reference = self.upload(upload, schema, path)
            if reference is not None:
                return True, reference
        kept = self.form.get(f"{path}.{REF_ID}")
        if kept:
            return True, {"id": kept, "name": self.form.get(f"{path}.{REF_NAME}") or ""}
        return False, None

    def file_list(self, schema: dict, path: str) -> tuple[bool, object]:
        items = forms.resolve(schema.get("items") or {}, self.root)
        out = []
        for index in self.indices(path):
            kept = self.form.get(f"{path}.{index}.{REF_ID}")
            if kept and not self.form.get(f"{path}.{index}.{REF_REMOVE}"):
                out.append({"id": kept, "name": self.form.get(f"{path}.{index}.{REF_NAME}") or ""})
        for upload in self.files.getlist(path):
            if upload.filename:
                reference = self.upload(upload, items, path)
                if reference is not None:
                    out.append(reference)
        return bool(out), out

    def indices(self, path: str) -> list[int]:
        found = set()
        prefix = f"{path}."
        for key in list(self.form.keys()) + list(self.files.keys()):
            if key.startswith(prefix):
                head = key[len(prefix):].split(".", 1)[0]
                if head.isdigit():
                    found.add(int(head))
        return sorted(found)

    def group(self, schema: dict, ui: dict, path: str) -> tuple[bool, object]:
        items = forms.resolve(schema.get("items") or {}, self.root)
        items_ui = ui.get("items") if isinstance(ui, dict) and isinstance(ui.get("items"), dict) else {}
        out = []
        for index in self.indices(path):
            item_path = f"{path}.{index}"
            present, value = self.value(items, items_ui, item_path)
            if present:
                position = len(out)
                if position != index:  # items are renumbered when empty ones are dropped: move their errors too
                    self._renumber(item_path, f"{path}.{position}")
                out.append(value)
        return bool(out), out

    def _renumber(self, old: str, new: str) -> None:
        for store in (self.raw, self.errors):
            for key in [k for k in store if k == old or k.startswith(old + ".")]:
                store[new + key[len(old):]] = store.pop(key)


def parse(schema: dict | None, ui_schema: dict | None, form: MultiDict, files: MultiDict | None = None,
          store: StoreFile | None = None, timezone: str = "Asia/Makassar") -> Submission:
    """The typed data of a submitted form (and what could not be read). ``store`` saves an upload, returning its
    reference, or raises a ``LincahError`` that becomes the field's message."""
    schema = schema if isinstance(schema, dict) else {"type": "object", "properties": {}}
    parser = _Parser(schema, form, files or MultiDict(), store, timezone)
    _, data = parser.object(schema, ui_schema or {}, "")
    submission = Submission(data, parser.raw, parser.errors)
    action = form.get(ACTION_FIELD) or ""
    verb, _sep, target = action.partition(":")
    if verb in ("add", "remove") and target:
        submission.action = (verb, target)
    return submission


def apply_action(data: dict, action: tuple[str, str]) -> dict:
    """The data with a repeatable group's item added (``add``, path of the list) or removed (``remove``, item)."""
    verb, target = action
    parts = target.split(".")
    if verb == "remove":
        parts, index = parts[:-1], parts[-1]
    node = data
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    key = parts[-1] if parts else None
    if key is None:
        return data
    container = node[int(key)] if isinstance(node, list) and key.isdigit() else None
    if container is None and isinstance(node, dict):
        container = node.setdefault(key, [])
    if not isinstance(container, list):
        return data
    if verb == "add":
        container.append({})
    elif index.isdigit() and int(index) < len(container):
        container.pop(int(index))
    return data


# --- messages --------------------------------------------------------------------------------------------------

_checker = FormatChecker()
# The engine's rule for addresses (jsonschema's own asks only for an "@"), so the page marks what the engine refuses.
_checker.checks("email")(lambda value: not isinstance(value, str) or engine_forms.looks_like_email(value))


def _validator(schema: dict):
    # The engine's patterns (RE2, linear time): a form pattern must not stall the page with a backtracking engine.
    return patterns.validator(schema, format_checker=_checker)


def schema_at(root: dict, path: list) -> dict:
    node = forms.resolve(root, root)
    for part in path:
        if isinstance(part, int) or (isinstance(part, str) and part.isdigit()):
            node = forms.resolve(node.get("items") or {}, root)
        else:
            node = forms.resolve((node.get("properties") or {}).get(part) or {}, root)
    return node


def _required_message(target: dict) -> str:
    if forms.is_attachment(target):
        return _("Upload this document.")
    if forms.type_of(target) == "boolean":
        return _("Tick this box to continue.")
    if forms.choices_of(target):
        return _("Choose one of the options.")
    if forms.type_of(target) == "array":
        return _("Choose at least one.")
    return _("This field is required.")


def _message(error, root: dict) -> str:
    kind, value = error.validator, error.validator_value
    target = schema_at(root, list(error.absolute_path))
    if kind == "minLength":
        return _("Enter at least %(num)d characters.", num=value)
    if kind == "maxLength":
        return _("Enter at most %(num)d characters.", num=value)
    if kind == "pattern":
        return _("The format is not right; see the hint.")
    if kind == "format":
        return {"email": _("Enter an e-mail address such as nama@contoh.com."),
                "date": _("Enter a date."), "date-time": _("Enter a date and time."),
                forms.ATTACHMENT_FORMAT: _("Upload this document.")}.get(value, _("The format is not right."))
    if kind in ("minimum", "exclusiveMinimum"):
        return (_("Enter %(num)s or more.", num=value) if kind == "minimum"
                else _("Enter more than %(num)s.", num=value))
    if kind in ("maximum", "exclusiveMaximum"):
        return (_("Enter %(num)s or less.", num=value) if kind == "maximum"
                else _("Enter less than %(num)s.", num=value))
    if kind == "const" and value is True:
        return _("Tick this box to continue.")
    if kind in ("enum", "const", "oneOf", "anyOf"):
        return _("Choose one of the options.")
    if kind == "type":
        if value in ("number", "integer"):
            return _("Enter a number.")
        return _("Upload this document.") if forms.is_attachment(target) else _("This value is not valid.")
    if kind == "minItems":
        return _("Give at least %(num)d.", num=value)
    if kind == "maxItems":
        return _("Give at most %(num)d.", num=value)
    if kind == "uniqueItems":
        return _("Each entry may appear only once.")
    if kind == "additionalProperties":
        return _("The form contains fields it does not know.")
    return _("This value is not valid.")


def messages(schema: dict | None, data: dict) -> dict[str, str]:
    """``{field path: message}`` for everything wrong with ``data``, worded for people (empty when valid)."""
    if not isinstance(schema, dict):
        return {}
    found: dict[str, str] = {}
    for error in sorted(_validator(schema).iter_errors(data), key=lambda e: list(e.absolute_path)):
        path = ".".join(str(p) for p in error.absolute_path)
        if error.validator == "required" and isinstance(error.instance, dict):
            for name in error.validator_value:
                if name not in error.instance:
                    full = f"{path}.{name}" if path else name
                    target = schema_at(schema, [*error.absolute_path, name])
                    found.setdefault(full, _required_message(target))
            continue
        if error.validator in ("oneOf", "anyOf", "allOf") and error.context:
            # a failed branch explains itself better than "not valid under any of the given schemas"
            best = min(error.context, key=lambda e: len(list(e.relative_path)))
            if best.validator not in ("const", "oneOf", "anyOf", "allOf"):
                found.setdefault(path or "(form)", _message(best, schema))
                continue
        found.setdefault(path or "(form)", _message(error, schema))
    # The engine's own keyword (x-dates-in-order) in the same round, or a person who fixed every marked field
    # would send the form only to be told then that the end date comes before the start.
    for path, message in engine_forms.field_errors(schema, data).items():
        if _BEFORE.match(message):
            found.setdefault(path, _dates_out_of_order(schema, message))
    return found


# Known sentences of the engine that reach a person (file references, decisions), worded for the page.
_ENGINE_SENTENCES = (
    ("Upload the file first", lambda: _("Upload the document again.")),
    ("This file belongs to another application", lambda: _("This document belongs to another application. "
                                                             "Upload it again.")),
    ("You can only attach files you uploaded yourself", lambda: _("You can only attach documents you uploaded "
                                                                   "yourself.")),
    ("This field accepts", lambda: _("This type of document is not accepted here.")),
    ("The file is larger than", lambda: _("The document is too large for this field.")),
    ("Choose one of:", lambda: _("Choose one of the decisions.")),
    ("This task has no choices", lambda: _("This task offers no decision.")),
    ("This field is required", lambda: _("This field is required.")),
    ("Upload a file here", lambda: _("Upload this document.")),
)


# Content types as people know them from the files on their phone.
_TYPE_NAMES = {"application/pdf": "PDF", "image/jpeg": "JPG", "image/png": "PNG"}


def accepted_types(accept) -> str:
    """A field's accept list (``x-accept`` content types) as people read it: ``JPG/PNG``; empty without one."""
    if isinstance(accept, str):
        accept = [part.strip() for part in accept.split(",")]
    if not isinstance(accept, list | tuple):
        return ""
    names = [_TYPE_NAMES.get(t, t.rsplit("/", 1)[-1].upper()) for t in accept if isinstance(t, str) and t]
    return "/".join(dict.fromkeys(names))


def wrong_type_message(types: str) -> str:
    """The advice for a document of a type the field does not take, naming the types it does."""
    return _("Only %(types)s files can be uploaded here. Save the document as %(types)s and upload it again.",
             types=types)


def engine_message(message: str) -> str:
    """The engine's message in the page's language: from the catalogue when it is a ``Text``, else by its start."""
    if isinstance(message, Text):
        return message.render(i18n.lang())
    for start, worded in _ENGINE_SENTENCES:
        if message.startswith(start):
            return worded()
    return message


def localize(schema: dict | None, data: dict, engine_errors: dict) -> dict[str, str]:
    """The engine's per-field errors (its paths are authoritative) in the page's words."""
    mine = messages(schema, data) if isinstance(data, dict) else {}
    if not isinstance(engine_errors, dict):
        return {"(form)": engine_message(str(engine_errors))}
    return {str(path): mine.get(str(path))
            or _field_message(schema, str(path), message if isinstance(message, str) else str(message))
            for path, message in engine_errors.items()}


def _field_message(schema: dict | None, path: str, message: str) -> str:
    if message.startswith("This field accepts") and isinstance(schema, dict):
        types = accepted_types(schema_at(schema, path.split(".")).get("x-accept"))
        if types:
            return wrong_type_message(types)
    return _dates_out_of_order(schema, message) or engine_message(message)


# engine.forms.schemas' x-dates-in-order: "Must not be before start_date (2027-01-10)."
_BEFORE = re.compile(r"Must not be before (?P<field>[\w.-]+) \((?P<value>[^)]*)\)\.?$")


def _dates_out_of_order(schema: dict | None, message: str) -> str | None:
    found = _BEFORE.match(message)
    if found is None:
        return None
    earlier = ((schema or {}).get("properties") or {}).get(found["field"]) or {} if isinstance(schema, dict) else {}
    value = found["value"]
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):  # as dates are shown on the pages
        value = "-".join(reversed(value.split("-")))
    return _("Must not be before %(field)s (%(value)s).", field=earlier.get("title") or found["field"], value=value)


def upload_message(error: LincahError, accept=None) -> str:
    """An upload refused by the engine, in the page's words; ``accept`` (the field's accept list) lets a wrong
    type be answered with the types this field takes."""
    if error.code == "too_large":
        limit = (error.details or {}).get("max_bytes") if isinstance(error.details, dict) else None
        if limit:
            return _("The document is larger than %(size)s MB. Scan it at a lower resolution or split it.",
                     size=limit // (1024 * 1024))
        return _("The document is too large.")
    if error.code == "unsupported_media_type":
        types = accepted_types(accept)
        if types:
            return wrong_type_message(types)
        return _("Only PDF, JPEG and PNG documents can be uploaded. Save it as PDF and upload it again.")
    return engine_message(error.message)
