"""Forms: finding them for a diagram, checking them, and validating what people submit.

A ``camunda:formKey`` such as ``research_permit/verify`` names the JSON Schema ``research_permit/verify.json`` and
the optional UI schema ``research_permit/verify.ui.json`` (a key that already ends in ``.json`` is the file name).
At deploy time the schemas are snapshotted by content hash, so later edits of ``forms/`` never change the form of an
application that is already running.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import orjson
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError, ValidationError
from jsonschema.validators import extend, validator_for

from engine.errors import InvalidData
from engine.forms import dynamic_options, fast_validation, fields, patterns, required_for
from engine.forms.fields import DATA_KEYWORDS
from engine.memo import per_schema
from engine.texts import N_, Text
from engine.workflow.serialization import RESERVED_KEY, reserved_key_path

ATTACHMENT_FORMAT = "attachment"


@dataclass(frozen=True)
class FormFiles:
    key: str
    schema_text: str
    ui_text: str | None
    origin: str  # where it was found: a path or "upload:<name>"


@dataclass(frozen=True)
class Form:
    key: str
    schema: dict
    ui_schema: dict | None
    sha256: str


def schema_file_name(key: str) -> str:
    return key if key.endswith(".json") else f"{key}.json"


def ui_file_name(key: str) -> str:
    base = key[:-5] if key.endswith(".json") else key
    return f"{base}.ui.json"


class FormSource:
    """Looks forms up in uploaded files first, then in a list of folders, in order."""

    def __init__(self, uploads: dict[str, bytes] | None = None, folders: list[Path] | None = None):
        self.uploads = {name.replace("\\", "/").lstrip("/"): data for name, data in (uploads or {}).items()}
        self.folders = [Path(f) for f in (folders or [])]

    def find(self, key: str, all_keys: list[str] | None = None) -> FormFiles | None:
        upload = self._from_uploads(key, all_keys or [key])
        if upload is not None:
            return upload
        for folder in self.folders:
            path = folder / schema_file_name(key)
            if _inside(folder, path) and path.is_file():
                ui = folder / ui_file_name(key)
                ui_text = ui.read_text(encoding="utf-8") if ui.is_file() else None
                return FormFiles(key, path.read_text(encoding="utf-8"), ui_text, str(path))
        return None

    def _from_uploads(self, key: str, all_keys: list[str]) -> FormFiles | None:
        schema_name, ui_name = schema_file_name(key), ui_file_name(key)
        schema = self.uploads.get(schema_name)
        ui = self.uploads.get(ui_name)
        origin = schema_name
        if schema is None:
            # A bare file name matches the key's last segment when no other key of the diagram shares it.
            last = key.rsplit("/", 1)[-1]
            if sum(1 for k in all_keys if k.rsplit("/", 1)[-1] == last) == 1:
                schema = self.uploads.get(schema_file_name(last))
                ui = ui if ui is not None else self.uploads.get(ui_file_name(last))
                origin = schema_file_name(last)
        if schema is None:
            return None
        decode = lambda b: b.decode("utf-8") if isinstance(b, bytes) else b  # noqa: E731
        return FormFiles(key, decode(schema), decode(ui) if ui is not None else None, f"upload:{origin}")


def _inside(folder: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def check_form(files: FormFiles) -> tuple[Form | None, list[str]]:
    """Parse and check a form; return the form or the messages (catalogue ``Text``) that say what is wrong with
    it."""
    origin = {"file": files.origin}
    try:
        schema = orjson.loads(files.schema_text)
    except orjson.JSONDecodeError as exc:
        return None, [Text(N_("form file %(file)s is not valid JSON: %(error)s"), {**origin, "error": str(exc)})]
    if not isinstance(schema, dict):
        return None, [Text(N_("form file %(file)s must contain a JSON object (a JSON Schema)"), origin)]
    # spiff-arena's choices from the task data ("anyOf": ["options_from_task_data_var:name"]), read as our keyword
    schema, unnamed = dynamic_options.declared(schema)
    if unnamed is not None:
        return None, [Text(N_("form file %(file)s: the choices at %(path)s come from the task data but name no "
                              "variable; write e.g. [\"%(marker)scolour_options\"], a process variable holding a list "
                              "of {\"value\": …, \"label\": …}"),
                           {**origin, "path": unnamed, "marker": dynamic_options.MARKER})]
    try:
        validator_for(schema, default=Draft202012Validator).check_schema(schema)
    except SchemaError as exc:
        path = "/".join(str(p) for p in exc.path) or "(root)"
        return None, [Text(N_("form file %(file)s is not a valid JSON Schema at %(path)s: %(error)s"),
                           {**origin, "path": path, "error": exc.message})]
    misordered = _misordered_dates_keyword(schema)
    if misordered is not None:
        return None, [Text(N_("form file %(file)s: %(keyword)s at %(path)s must be a list of [earlier, later] pairs of "
                              "that object's own property names, e.g. [[\"start_date\", \"end_date\"]]"),
                           {**origin, "keyword": DATES_IN_ORDER, "path": misordered})]
    wrong = required_for.misused(schema)
    if wrong is not None:
        return None, [Text(N_("form file %(file)s: %(keyword)s at %(path)s must be a list of the choices' meanings "
                              "(%(meanings)s) on a field of the form, e.g. [\"approve\"]"),
                           {**origin, "keyword": required_for.REQUIRED_FOR, "path": wrong,
                            "meanings": ", ".join(required_for.MEANINGS)})]
    unresolved = fields.unresolved_reference(schema)
    if unresolved is not None:
        ref, where = unresolved
        return None, [Text(N_("form file %(file)s: the reference %(ref)s at %(path)s does not point inside the form; "
                              "forms cannot load other files or addresses: put the definition under \"$defs\" and "
                              "refer to it as \"#/$defs/<name>\""), {**origin, "ref": repr(ref), "path": where})]
    unsafe = patterns.unsupported_patterns(schema)
    if unsafe:
        return None, [Text(N_("form file %(file)s: %(problem)s"), {**origin, "problem": message}) for message in unsafe]
    declared = _reserved_field(schema)
    if declared is not None:
        return None, [Text(N_("form file %(file)s declares a field named %(name)s at %(path)s, a name the workflow "
                              "engine reserves for its own values: rename the field"),
                           {**origin, "name": repr(RESERVED_KEY), "path": declared})]
    ui_schema = None
    if files.ui_text is not None:
        try:
            ui_schema = orjson.loads(files.ui_text)
        except orjson.JSONDecodeError as exc:
            return None, [Text(N_("UI schema of %(key)s is not valid JSON: %(error)s"),
                               {"key": files.key, "error": str(exc)})]
        if not isinstance(ui_schema, dict):
            return None, [Text(N_("UI schema of %(key)s must be a JSON object"), {"key": files.key})]
    canonical = orjson.dumps({"schema": schema, "ui": ui_schema}, option=orjson.OPT_SORT_KEYS)
    return Form(files.key, schema, ui_schema, hashlib.sha256(canonical).hexdigest()), []


def _reserved_field(schema, path: str = "") -> str | None:
    """Where (a JSON pointer) a schema declares a property named ``RESERVED_KEY``; ``None`` if nowhere."""
    if isinstance(schema, list):
        for index, item in enumerate(schema):
            found = _reserved_field(item, f"{path}/{index}")
            if found is not None:
                return found
        return None
    if not isinstance(schema, dict):
        return None
    for keyword, value in schema.items():
        if keyword in DATA_KEYWORDS:
            continue
        if keyword in ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas") \
                and isinstance(value, dict):
            if keyword == "properties" and RESERVED_KEY in value:
                return f"{path}/properties/{RESERVED_KEY}"
            for name, sub in value.items():
                found = _reserved_field(sub, f"{path}/{keyword}/{name}")
                if found is not None:
                    return found
        elif isinstance(value, dict | list):
            found = _reserved_field(value, f"{path}/{keyword}")
            if found is not None:
                return found
    return None


_format_checker = FormatChecker()


@_format_checker.checks(ATTACHMENT_FORMAT)
def _is_attachment_reference(value) -> bool:
    # A file field holds a reference to an uploaded attachment, never the bytes.
    if not isinstance(value, dict):
        return True  # the schema's "type" reports the wrong type itself
    return isinstance(value.get("id"), str | int) and bool(value.get("id")) and isinstance(value.get("name"), str)


# jsonschema's own "email" check asks only for an "@": "rina@bukan" would pass, and every notification to it would
# bounce. An address needs a name, an "@" and a domain with a dot (nama@contoh.id).
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
EMAIL_ADVICE = Text(N_("Write an e-mail address such as nama@contoh.id."))


def looks_like_email(value: str) -> bool:
    return bool(_EMAIL.fullmatch(value.strip()))


@_format_checker.checks("email")
def _is_email(value) -> bool:
    return not isinstance(value, str) or looks_like_email(value)


# Our one keyword beyond JSON Schema, on an object: pairs of its date (or date-time) fields that must come in order,
# ``"x-dates-in-order": [["start_date", "end_date"]]`` — JSON Schema cannot compare two fields. ISO values of one
# kind compare as text. The error sits on the later field, where the person has to change something.
DATES_IN_ORDER = "x-dates-in-order"


def _dates_in_order(validator, pairs, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    for earlier, later in pairs:
        first, second = instance.get(earlier), instance.get(later)
        if isinstance(first, str) and isinstance(second, str) and first and second and second < first:
            yield ValidationError(f"Must not be before {earlier} ({first})", path=(later,), validator=DATES_IN_ORDER,
                                  validator_value=pairs, instance=second)


_with_our_keyword: dict[type, type] = {}


def _validator_class(schema: dict) -> type:
    base = validator_for(schema, default=Draft202012Validator)
    if base not in _with_our_keyword:
        _with_our_keyword[base] = extend(patterns.safe_class(base), {DATES_IN_ORDER: _dates_in_order})
    return _with_our_keyword[base]


def _misordered_dates_keyword(schema, path: str = "") -> str | None:
    """Where ``x-dates-in-order`` is not a list of [earlier, later] pairs of the object's own properties."""
    if not isinstance(schema, dict):
        return None
    pairs = schema.get(DATES_IN_ORDER)
    names = schema.get("properties") or {}
    if pairs is not None and not (isinstance(pairs, list) and all(
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(n, str) and n in names for n in pair)
            for pair in pairs)):
        return path or "(root)"
    for name, child in names.items() if isinstance(names, dict) else ():
        found = _misordered_dates_keyword(child, f"{path}/properties/{name}")
        if found:
            return found
    return None


@per_schema
def _validator(schema: dict):
    """Building a validator costs more than using it; forms are few and immutable once snapshotted."""
    checked = patterns.for_validation(_choices_as_enums(schema))
    return _validator_class(schema)(checked, format_checker=_format_checker)


# Keywords that only describe a choice; a ``oneOf`` of branches holding a ``const`` and these is a list of choices.
_LABELS = frozenset({"const", "title", "description", "$comment", "examples", "deprecated"})
# Keywords whose values are data, not schemas: never rewritten.


def _choices_as_enums(schema):
    """The schema to validate with: every ``oneOf`` of labelled string constants (how forms give choices a title)
    becomes the ``enum`` of those strings.

    The two accept exactly the same values when the strings differ, and the enum is checked in one step where
    ``oneOf`` tries every branch and builds an error for each that fails — most of the cost of validating a
    checklist. The schema a form shows (titles and all) is not changed.
    """
    if isinstance(schema, list):
        return [_choices_as_enums(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    rewritten = {key: value if key in DATA_KEYWORDS else _choices_as_enums(value) for key, value in schema.items()}
    branches = schema.get("oneOf")
    if isinstance(branches, list) and branches and "enum" not in schema and all(
            isinstance(b, dict) and isinstance(b.get("const"), str) and set(b) <= _LABELS for b in branches):
        values = [b["const"] for b in branches]
        if len(set(values)) == len(values):
            del rewritten["oneOf"]
            rewritten["enum"] = values
    return rewritten


def field_errors(schema: dict | None, data: dict, *, also: tuple[str, ...] = ()) -> dict[str, str]:
    """Validate ``data`` against ``schema``; return ``{field path: message}`` (empty when valid).

    ``None`` is no form at all — a start without one, a decision or "done" step — which takes no fields but
    ``also``. A field the form does not declare is an error too (unless the form opens itself to others, or the engine
    adds the field itself: ``also``, e.g. the decision): submitted data becomes process variables, so an
    undeclared field would let the person filling in the form set what scripts and other steps decide — an
    applicant could send ``"issued": true`` with a permit number of their own.

    The engine's own messages are ``Text`` (English, with their catalogue id for the pages); jsonschema's remaining
    wordings are plain English."""
    errors: dict[str, str] = {}
    reserved = reserved_key_path(data)
    if reserved is not None:
        errors[".".join(str(part) for part in reserved)] = Text(
            N_("The name %(name)s is reserved by the workflow engine; use another field name."),
            {"name": repr(RESERVED_KEY)})
    if schema is None:
        for name in sorted(set(data) - set(also)):
            errors.setdefault(name, Text(N_("There is no form here, so this field has no place; leave it out.")))
        return errors
    declared = fields.declared_fields(schema)
    if declared is not None:
        for name in sorted(set(data) - declared - set(also)):
            errors.setdefault(name, Text(N_("This form has no such field; leave it out.")))
    if not errors and fast_validation.accepts(schema, data):  # valid: nothing for jsonschema to word
        return errors
    validator = _validator(schema)
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        path = ".".join(str(p) for p in error.absolute_path)
        if error.validator == "required" and isinstance(error.instance, dict):
            missing = [name for name in error.validator_value if name not in error.instance]
            for name in missing:
                errors.setdefault(f"{path}.{name}" if path else name, Text(N_("This field is required.")))
            continue
        if error.validator == "format" and error.validator_value == ATTACHMENT_FORMAT:
            errors.setdefault(path or "(form)",
                              Text(N_("Upload a file here (an attachment reference with id and name).")))
            continue
        errors.setdefault(path or "(form)", _message(error))
    return errors


# jsonschema's messages begin with the value itself; a long one is not repeated back (it may be megabytes).
MAX_ECHO = 60
_LIMITS = {"maxLength": N_("Use at most %(num)s characters."), "minLength": N_("Use at least %(num)s characters."),
           "maxItems": N_("Give at most %(num)s entries."), "minItems": N_("Give at least %(num)s entries.")}


_FORMATS = {"email": EMAIL_ADVICE, "date": Text(N_("Write a date as YYYY-MM-DD.")),
            "date-time": Text(N_("Write a date and time as YYYY-MM-DDTHH:MM with its offset, e.g. +08:00."))}


def _message(error) -> str:
    if error.validator == "enum" and isinstance(error.schema, dict) and error.schema.get(dynamic_options.KEYWORD):
        return Text(N_("There is nothing to choose here yet: the choices come from %(name)s in the step's data, "
                       "which holds none. Ask the office to check the step that sets them."),
                    {"name": repr(error.schema[dynamic_options.KEYWORD])})
    if error.validator == "additionalProperties" and error.message.startswith(patterns.UNEXPECTED):
        # A field name may hold parentheses itself: cut the fixed wording off both ends.
        names = error.message[len(patterns.UNEXPECTED):].rstrip(")").rsplit(" ", 2)[0]
        return Text(N_("Unknown field(s): %(names)s; leave them out."), {"names": names})
    if error.validator in _LIMITS and isinstance(error.validator_value, int):
        return Text(_LIMITS[error.validator], {"num": error.validator_value})
    if error.validator == "format" and error.validator_value in _FORMATS:
        return _FORMATS[error.validator_value]
    text = error.message
    shown = repr(error.instance)
    if len(shown) > MAX_ECHO and text.startswith(shown):
        text = "this value" + text[len(shown):]
    return text[0].upper() + text[1:] + "."


FORM = Text(N_("form"))
APPLICATION_FORM = Text(N_("application form"))


def validate(schema: dict | None, data, *, what: str = FORM, also: tuple[str, ...] = ()) -> None:
    """Raise ``InvalidData`` with per-field messages if ``data`` does not satisfy ``schema`` (``also``: fields the
    engine adds to the data, which the form need not declare; ``what``: the form's name in the message, a ``Text``
    so that pages say it in their language)."""
    if not isinstance(data, dict):
        raise InvalidData(Text(N_("The %(what)s data must be a JSON object."), {"what": what}),
                          {"(form)": Text(N_("Expected an object of fields."))})
    errors = field_errors(schema, data, also=also)
    if errors:
        fields = ", ".join(sorted(errors))
        raise InvalidData(Text(N_("The %(what)s has %(count)s invalid field(s): %(fields)s. Correct them and submit "
                                  "again."), {"what": what, "count": len(errors), "fields": fields}), errors)
