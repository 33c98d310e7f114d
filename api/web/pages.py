"""What several pages share: the request's database session, uploads into the attachment store, one engine step
kept apart from the uploads, service names, and the form-page cycle (draw → parse → validate → act → redraw)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from engine.bpmn import choices
from engine.context import EngineContext
from engine.documents import attachments
from engine.errors import InvalidData, InvalidInput, ProcessError
from engine.services import definitions

from ..unit_of_work import engine_context, session
from . import formdata, forms, i18n
from .security import current_actor


def db() -> Session:
    return session()


def ctx() -> EngineContext:
    return engine_context()


@contextmanager
def engine_step():
    """Run one engine operation inside a savepoint.

    Uploads made by the same request stay when the operation is refused (the person corrects a field without
    choosing the files again); a ``ProcessError`` keeps its writes, because the engine has flagged the application
    for an administrator (the same rule as ``engine.storage.db.transaction``).
    """
    savepoint = db().begin_nested()
    try:
        yield
    except ProcessError:
        savepoint.commit()
        raise
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()


def store_upload(upload, _schema: dict) -> dict:
    """Save one uploaded document for the signed-in person; the form keeps its reference."""
    row = attachments.store(db(), ctx(), name=upload.filename, stream=upload.stream, actor=current_actor())
    return attachments.reference(row)


def service_names() -> dict[str, str]:
    """Service key → name in the chosen language (published services first, then any version)."""
    names: dict[str, str] = {}
    for definition in definitions.published_services(db()):
        names[definition.key] = i18n.service_name(definition)
    return names


@dataclass
class FormPage:
    """One form on a page: its schema and UI schema, and what to show in it now."""

    schema: dict | None
    ui_schema: dict | None
    data: dict = field(default_factory=dict)
    raw: dict = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    readonly: bool = False

    def build(self) -> forms.Form:
        return forms.build(self.schema, self.ui_schema, self.data, errors=self.errors, raw=self.raw,
                           locale=i18n.lang(), readonly=self.readonly)

    def read(self, request, store: Callable | None = store_upload) -> formdata.Submission:
        """Parse a submission into ``data``; an add/remove action changes the form instead of submitting it."""
        submission = formdata.parse(self.schema, self.ui_schema, request.form, request.files, store,
                                    ctx().settings.timezone)
        self.data, self.raw, self.errors = submission.data, submission.raw, dict(submission.errors)
        if submission.action:
            self.data = formdata.apply_action(self.data, submission.action)
        return submission

    def check(self) -> bool:
        """Validate what was read against the schema; True when it may go to the engine."""
        for path, message in formdata.messages(self.schema, self.data).items():
            self.errors.setdefault(path, message)
        return not self.errors

    def refused(self, error: InvalidData | InvalidInput) -> None:
        """Take the engine's per-field refusal into the form."""
        if isinstance(error.details, dict) and error.details:
            self.errors.update(formdata.localize(self.schema, self.data, error.details))
        else:
            self.errors["(form)"] = formdata.engine_message(error.message)


def render(template: str, http_status: int = 200, /, **context):
    return render_template(template, **context), http_status


_DECISION_STYLES = {choices.REJECT: "danger", choices.RETURN: "secondary"}


def decision_buttons(task, definition) -> list[tuple[str, str]]:
    """``(choice, style)`` for the task's decision buttons: the refusing ones look different from the approving ones,
    by what the diagram says each choice means (``engine.bpmn.choices``)."""
    meta = definition.meta or {}
    settings = (meta.get("tasks") or {}).get(task.element_id) or {}
    return [(choice, _DECISION_STYLES.get(choices.choice_meaning(choice, settings, meta.get("process")), "primary"))
            for choice in task.decision_choices or []]


def no_decision_label() -> str:
    return _("Submit")
