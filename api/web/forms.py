"""The form renderer: a JSON Schema (+ rjsf-style UI schema) and data → a tree of fields the templates draw.

One renderer serves every form in the product — service forms snapshotted with a definition, and the product's own
(registration, user administration). ``build`` turns schema, UI schema, the data to show, what a person typed that
could not be converted (``raw``) and the errors into ``Field`` objects; ``templates/web/macros/form.html`` renders
them as inputs, or as a read-only summary. ``web.formdata`` reads a submitted form back into typed JSON with the
same widget decisions (``widget_of``), so what is drawn and what is parsed cannot drift apart.

Input names are the error paths the engine reports (``crew.0.name``), so server-side errors land next to their
fields without any mapping.

Supported: string (text, textarea, email, date, date-time, password, tel), enums as select or radio (``enum`` or
``oneOf``/``anyOf`` of ``{const, title}``), number/integer with minimum/maximum, boolean (checkbox, or yes/no
radios), array of enums (checkboxes), file (``format: attachment``) and array of files, nested objects (fieldsets),
arrays of anything else (repeatable groups), hidden and read-only fields. UI keys: ``ui:order`` (with ``*``),
``ui:widget``, ``ui:title``, ``ui:description``, ``ui:help``, ``ui:placeholder``, ``ui:readonly``,
``ui:enumNames``, ``ui:options`` (``rows``, ``autocomplete``, ``inputType``, ``addable``, ``removable``,
``orderable`` ignored) and ``ui:i18n`` — ``{"en": {"ui:title": …, "ui:help": …}}`` — for labels in other languages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from engine.forms.schemas import ATTACHMENT_FORMAT

from . import field_hints

ITEM_PLACEHOLDER = "__INDEX__"
REF_ID, REF_NAME, REF_REMOVE = "__id", "__name", "__remove"
_DIGITS_ONLY = re.compile(r"^\^?\[0-9\]\{\d+(,\d*)?\}\$?$|^\^?\\d\{\d+(,\d*)?\}\$?$")


@dataclass
class Option:
    value: str
    label: str


@dataclass
class Field:
    name: str
    widget: str
    label: str
    kind: str = "string"  # the JSON type the value is parsed into
    required: bool = False
    help: str = ""
    description: str = ""
    placeholder: str = ""
    value: Any = None
    error: str | None = None
    options: list[Option] = field(default_factory=list)
    attrs: dict = field(default_factory=dict)
    children: list[Field] = field(default_factory=list)
    template: Field | None = None  # a blank item of a repeatable group, for adding items in the browser
    readonly: bool = False
    min_items: int = 0
    max_items: int | None = None
    counter: int | None = None  # the character limit a live counter shows (no silent cut at maxlength)

    @property
    def id(self) -> str:
        return "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.name)

    @property
    def described_by(self) -> str:
        ids = []
        if self.description or self.help:
            ids.append(f"{self.id}-hint")
        if self.error:
            ids.append(f"{self.id}-error")
        if self.counter:
            ids.append(f"{self.id}-count")
        return " ".join(ids)

    def is_selected(self, option: Option) -> bool:
        if isinstance(self.value, list):
            return option.value in self.value
        return self.value is not None and option.value == self.value

    @property
    def checked(self) -> bool:
        return self.value in (True, "true", "on", "1")

    @property
    def can_add(self) -> bool:
        return self.max_items is None or len(self.children) < self.max_items

    @property
    def errors_within(self) -> bool:
        return bool(self.error) or any(child.errors_within for child in self.children)


@dataclass
class Form:
    title: str
    description: str
    fields: list[Field]
    errors: list[str] = field(default_factory=list)  # messages not tied to a shown field
    invalid: list[Field] = field(default_factory=list)  # fields with an error, in page order (for the summary)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.invalid)


# --- reading schemas -------------------------------------------------------------------------------------------


def resolve(schema, root: dict, depth: int = 0) -> dict:
    """Follow a local ``$ref`` (``#/$defs/x``); sibling keys override the target's."""
    if not isinstance(schema, dict):
        return {}
    ref = schema.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/") or depth > 10:
        return schema
    target: Any = root
    for part in ref[2:].split("/"):
        target = target.get(part) if isinstance(target, dict) else None
    merged = dict(resolve(target, root, depth + 1))
    merged.update({k: v for k, v in schema.items() if k != "$ref"})
    return merged


def type_of(schema: dict) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind:
        return kind
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    consts = [o.get("const") for o in choices_of(schema)]
    if consts and all(isinstance(c, bool) for c in consts):
        return "boolean"
    if consts and all(isinstance(c, int | float) and not isinstance(c, bool) for c in consts):
        return "number"
    return "string"


def choices_of(schema: dict) -> list[dict]:
    """The options of an enum: ``[{"const": value, "title": label}]`` from ``enum`` or ``oneOf``/``anyOf``."""
    if isinstance(schema.get("enum"), list):
        return [{"const": value} for value in schema["enum"] if value is not None]
    for key in ("oneOf", "anyOf"):
        options = schema.get(key)
        if isinstance(options, list) and options and all(isinstance(o, dict) and "const" in o for o in options):
            return options
    return []


def is_attachment(schema: dict) -> bool:
    return schema.get("format") == ATTACHMENT_FORMAT


def ui_option(ui: dict, key: str, locale: str | None = None, default=None):
    """A UI setting, looked up as ``ui:<key>``, inside ``ui:options``, and first in ``ui:i18n[locale]``."""
    if not isinstance(ui, dict):
        return default
    if locale:
        overlay = (ui.get("ui:i18n") or {}).get(locale)
        if isinstance(overlay, dict):
            for candidate in (f"ui:{key}", key):
                if candidate in overlay:
                    return overlay[candidate]
    if f"ui:{key}" in ui:
        return ui[f"ui:{key}"]
    options = ui.get("ui:options")
    if isinstance(options, dict) and key in options:
        return options[key]
    return default


def widget_of(schema: dict, ui: dict, root: dict) -> str:
    """Which control draws (and which parser reads) this schema: the one decision shared by both directions."""
    schema = resolve(schema, root)
    asked = ui_option(ui, "widget")
    if asked == "hidden":
        return "hidden"
    kind = type_of(schema)
    if kind == "object":
        return "file" if is_attachment(schema) else "fieldset"
    if kind == "array":
        items = resolve(schema.get("items") or {}, root)
        if choices_of(items):
            return "checkboxes"
        if type_of(items) == "object" and is_attachment(items):
            return "files"
        return "group"
    if kind == "boolean":
        return "yesno" if asked in ("radio", "select") else "checkbox"
    if choices_of(schema):
        return "radio" if asked == "radio" else "select"
    if kind in ("number", "integer"):
        return "number"
    if asked in ("textarea", "password", "email", "date", "tel", "url", "text"):
        return asked
    input_type = ui_option(ui, "inputType")
    if input_type in ("tel", "email", "url", "password"):
        return input_type
    fmt = schema.get("format")
    if fmt in ("email", "date"):
        return fmt
    if fmt == "date-time":
        return "datetime"
    return "text"


def properties_in_order(schema: dict, ui: dict) -> list[str]:
    names = list((schema.get("properties") or {}).keys())
    order = ui.get("ui:order") if isinstance(ui, dict) else None
    if not isinstance(order, list):
        return names
    listed = [n for n in order if n in names]
    rest = [n for n in names if n not in listed]
    if "*" in order:
        at = [n for n in order if n == "*" or n in names].index("*")
        return listed[:at] + rest + listed[at:]
    return listed + rest


def _humanize(name: str) -> str:
    text = name.rsplit(".", 1)[-1].replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else name


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- building the field tree ---------------------------------------------------------------------------------


class _Builder:
    def __init__(self, root: dict, errors: dict[str, str], raw: dict[str, Any], locale: str, readonly: bool):
        self.root = root
        self.errors = dict(errors or {})
        self.raw = raw or {}
        self.locale = locale
        self.readonly = readonly

    def object_fields(self, schema: dict, ui: dict, prefix: str, value) -> list[Field]:
        schema = resolve(schema, self.root)
        properties = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        value = value if isinstance(value, dict) else {}
        out = []
        for name in properties_in_order(schema, ui):
            sub_ui = ui.get(name) if isinstance(ui, dict) and isinstance(ui.get(name), dict) else {}
            path = f"{prefix}.{name}" if prefix else name
            out.append(self.node(properties[name], sub_ui, path, name in required, value.get(name)))
        return out

    def node(self, schema, ui: dict, path: str, required: bool, value) -> Field:
        schema = resolve(schema, self.root)
        widget = widget_of(schema, ui, self.root)
        locale = self.locale
        title = ui_option(ui, "title", locale) or schema.get("title") or _humanize(path)
        result = Field(
            name=path, widget=widget, label=str(title), kind=type_of(schema), required=required,
            help=str(ui_option(ui, "help", locale) or ""),
            description=str(ui_option(ui, "description", locale) or schema.get("description") or ""),
            placeholder=str(ui_option(ui, "placeholder", locale) or ""),
            readonly=self.readonly or bool(schema.get("readOnly")) or bool(ui_option(ui, "readonly")),
            error=self.errors.pop(path, None))
        if result.kind == "boolean" and schema.get("const") is True:
            result.required = True
        if value is None and "default" in schema and not self.readonly:
            value = schema["default"]
        if widget == "fieldset":
            result.children = self.object_fields(schema, ui, path, value)
        elif widget in ("group", "files", "checkboxes"):
            self._array(result, schema, ui, value)
        elif widget == "file":
            result.value = value if isinstance(value, dict) and value.get("id") else None
            self._file_attrs(result, schema)
        else:
            result.value = self.raw[path] if path in self.raw else _text(value)
            self._scalar(result, schema, ui)
        return result

    def _options(self, schema: dict, ui: dict) -> list[Option]:
        names = ui_option(ui, "enumNames", self.locale)
        out = []
        for index, choice in enumerate(choices_of(schema)):
            label = choice.get("title")
            if isinstance(names, list) and index < len(names):
                label = names[index]
            out.append(Option(_text(choice.get("const")), str(label if label is not None else choice.get("const"))))
        return out

    def _scalar(self, result: Field, schema: dict, ui: dict) -> None:
        attrs = result.attrs
        if result.widget in ("select", "radio"):
            result.options = self._options(schema, ui)
        elif result.widget == "yesno":
            result.options = [Option("true", "yes"), Option("false", "no")]
        elif result.widget == "number":
            attrs["step"] = "1" if result.kind == "integer" else "any"
            for key, attr in (("minimum", "min"), ("maximum", "max")):
                if isinstance(schema.get(key), int | float):
                    attrs[attr] = _text(schema[key])
            attrs["inputmode"] = "numeric" if result.kind == "integer" else "decimal"
        elif result.widget == "textarea":
            attrs["rows"] = ui_option(ui, "rows", default=4)
        counted = field_hints.counts_characters(schema, result.widget)
        if counted is not None and not result.readonly:
            result.counter = counted
            attrs["data-maxlength"] = counted
        elif isinstance(schema.get("maxLength"), int) and result.widget not in ("select", "radio", "number"):
            attrs["maxlength"] = schema["maxLength"]
        pattern = schema.get("pattern")
        if result.widget == "text" and isinstance(pattern, str) and _DIGITS_ONLY.match(pattern):
            attrs["inputmode"] = "numeric"
        if result.widget in ("text", "tel", "email", "textarea"):
            attrs.update(field_hints.keyboard(result.name, schema, result.widget))
        for option, attr in (("autocomplete", "autocomplete"), ("inputMode", "inputmode")):
            if ui_option(ui, option):
                attrs[attr] = ui_option(ui, option)
        if result.widget == "password" and "autocomplete" not in attrs:
            attrs["autocomplete"] = "current-password"

    def _file_attrs(self, result: Field, schema: dict) -> None:
        accept = schema.get("x-accept")
        if isinstance(accept, list) and accept:
            result.attrs["accept"] = ",".join(accept)
        if isinstance(schema.get("x-max-size"), int):
            result.attrs["data-max-size"] = schema["x-max-size"]

    def _array(self, result: Field, schema: dict, ui: dict, value) -> None:
        items = resolve(schema.get("items") or {}, self.root)
        items_ui = ui.get("items") if isinstance(ui, dict) and isinstance(ui.get("items"), dict) else {}
        values = value if isinstance(value, list) else []
        result.min_items = schema.get("minItems") if isinstance(schema.get("minItems"), int) else 0
        result.max_items = schema.get("maxItems") if isinstance(schema.get("maxItems"), int) else None
        if result.widget == "checkboxes":
            result.options = self._options(items, items_ui)
            result.value = self.raw.get(result.name) or [_text(v) for v in values]
            return
        if result.widget == "files":
            result.value = [v for v in values if isinstance(v, dict) and v.get("id")]
            self._file_attrs(result, items)
            for index in range(len(values)):  # per-file problems (wrong type, too large) belong to the list
                message = self.errors.pop(f"{result.name}.{index}", None)
                if message and not result.error:
                    result.error = message
            return
        shown = max(len(values), result.min_items, 0 if self.readonly else 1)
        for index in range(shown):
            item_value = values[index] if index < len(values) else None
            result.children.append(self.node(items, items_ui, f"{result.name}.{index}", True, item_value))
        if not self.readonly and (result.max_items is None or result.max_items > 0):
            template_builder = _Builder(self.root, {}, {}, self.locale, False)
            result.template = template_builder.node(items, items_ui, f"{result.name}.{ITEM_PLACEHOLDER}", True, None)


def build(schema: dict | None, ui_schema: dict | None = None, data: dict | None = None, *,
          errors: dict[str, str] | None = None, raw: dict[str, Any] | None = None, locale: str = "id",
          readonly: bool = False) -> Form:
    """The fields of a form, filled with ``data`` (and ``raw`` typed text), with ``errors`` next to their fields.

    Errors whose path names no shown field (``(form)``, a property the form does not draw) are kept on the form,
    so none is ever silently dropped.
    """
    schema = schema if isinstance(schema, dict) else {"type": "object", "properties": {}}
    ui = ui_schema if isinstance(ui_schema, dict) else {}
    builder = _Builder(schema, errors or {}, raw or {}, locale, readonly)
    fields = builder.object_fields(schema, ui, "", data or {})
    form = Form(title=str(ui_option(ui, "title", locale) or schema.get("title") or ""),
                description=str(ui_option(ui, "description", locale) or schema.get("description") or ""),
                fields=fields)
    form.invalid = [f for f in walk(fields) if f.error]
    form.errors = [message if path == "(form)" else f"{_humanize(path)}: {message}"
                   for path, message in builder.errors.items()]
    return form


def walk(fields: list[Field]):
    """Every field of the tree, in page order."""
    for item in fields:
        yield item
        yield from walk(item.children)


def has_files(form: Form) -> bool:
    return any(f.widget in ("file", "files") for f in walk(form.fields))
