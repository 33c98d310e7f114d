"""Step names, decision labels and service names in the page's language, from what the BPMN says (``name.en``).

Tasks, events and report rows keep the diagram's Indonesian name (the engine's words, and what the audit trail
recorded); the English comes from the deployed definitions' meta when a page is written in English. Where the
analyst gave no English, the Indonesian name is shown marked ``lang="id"`` so that a reader (and a screen reader)
sees it is untranslated rather than taking it for English.
"""

from __future__ import annotations

from flask import g
from markupsafe import Markup
from sqlalchemy import case, select

from engine.services.definitions import PUBLISHED, RETIRED
from engine.storage.models import ServiceDefinition

from ..unit_of_work import session
from . import i18n
from .blueprint import bp

_AUTHORITY = case({PUBLISHED: 0, RETIRED: 1}, value=ServiceDefinition.status, else_=2)


def _metas(service_key: str) -> list[dict]:
    """The service's definitions' meta, the published version first, then the newest: the names a manager and an
    officer read are the published ones, while a file on an older version still finds its own steps."""
    cache = g.setdefault("bilingual_metas", {})
    if service_key not in cache:
        rows = session().execute(select(ServiceDefinition.meta).where(ServiceDefinition.key == service_key)
                                 .order_by(_AUTHORITY, ServiceDefinition.version.desc())).scalars()
        cache[service_key] = [meta or {} for meta in rows]
    return cache[service_key]


def _shown(indonesian: str, english: str) -> Markup | str:
    if i18n.lang() == i18n.DEFAULT_LANGUAGE:
        return indonesian
    if english:
        return english
    return Markup('<span lang="id">{}</span>').format(indonesian)


def _step_settings(service_key: str | None, element_id: str | None) -> dict:
    if not service_key or not element_id:
        return {}
    return next((meta["tasks"][element_id] for meta in _metas(service_key)
                 if element_id in (meta.get("tasks") or {})), {})


@bp.app_template_global("step_label")
def step_label(service_key: str | None, element_id: str | None, name: str | None) -> Markup | str:
    """A step's name in the page's language; ``name`` is the Indonesian one the task or event row holds."""
    settings = _step_settings(service_key, element_id)
    names = settings.get("names") or {}
    indonesian = name or names.get("id") or settings.get("name") or element_id or ""
    english = names.get("en") if settings else _element_english(service_key, element_id)
    return _shown(indonesian, english or "")


def _element_english(service_key: str | None, element_id: str | None) -> str:
    """``name.en`` of an element that is not a person's step (a service task that failed, an event waited for), as
    the diagram labels of the authoritative version give it (the first deployed since labels are read at deploy)."""
    if not service_key or not element_id:
        return ""
    labelled = next((meta["labels"] for meta in _metas(service_key) if "labels" in meta), {})
    return labelled.get(element_id) or ""


@bp.app_template_global("choice_label")
def choice_label(service_key: str | None, element_id: str | None, choice: str | None) -> Markup | str:
    """How a decision choice reads in the page's language; the choice itself stays the value submitted."""
    if not choice:
        return ""
    names = (_step_settings(service_key, element_id).get("choice_names") or {}).get(choice) or {}
    return _shown(choice, names.get("en") or "")


@bp.app_template_global("service_label")
def service_label(service_key: str | None, name: str | None = None) -> Markup | str:
    """A service's name in the page's language (``name.id``/``name.en`` of its process)."""
    metas = _metas(service_key) if service_key else []
    names = ((metas[0] if metas else {}).get("process") or {}).get("names") or {}
    indonesian = names.get("id") or name or service_key or ""
    english = names.get("en") if names.get("en") not in (None, "", names.get("id")) else ""
    return _shown(indonesian, english or "")


def service_text(service_key: str | None, name: str | None = None) -> str:
    """``service_label`` as plain text, for a chart's data or a window title."""
    label = service_label(service_key, name)
    return label.striptags() if isinstance(label, Markup) else label


@bp.app_template_global("outcome_label")
def outcome_label(service_key: str | None, outcome: str | None) -> Markup | str:
    """How a file ended (its end event's name, as ``instance.outcome`` holds it) in the page's language."""
    if not outcome:
        return ""
    names = next((meta["outcome_names"][outcome] for meta in (_metas(service_key) if service_key else [])
                  if outcome in (meta.get("outcome_names") or {})), {})
    return _shown(outcome, names.get("en") or "")


@bp.app_template_global("diagram_labels")
def diagram_labels(definition) -> dict[str, str]:
    """``{element id: English name}`` the diagram viewer writes over the diagram's names on an English page (the
    stored diagram keeps its own); empty on an Indonesian page, so the viewer draws the diagram as it is."""
    if definition is None or i18n.lang() == i18n.DEFAULT_LANGUAGE:
        return {}
    return dict((definition.meta or {}).get("labels") or {})


def plain(label: Markup | str) -> str:
    """A label as plain text (a chart's data, a window title, a spreadsheet cell): the ``lang`` mark dropped."""
    return label.striptags() if isinstance(label, Markup) else label


# The analyst's pages show one version (a draft under trial, the two versions a publication compares): they read
# that version's own English, not the published one's, since a draft may rename or add steps.
def _version_meta(definition) -> dict:
    return (definition.meta or {}) if definition is not None else {}


@bp.app_template_global("version_step_label")
def version_step_label(definition, element_id: str | None, name: str | None) -> Markup | str:
    """Any element's name (a step, an event, a flow) in the page's language, as ``definition`` gives it."""
    meta = _version_meta(definition)
    english = (meta.get("labels") or {}).get(element_id or "") or (
        ((meta.get("tasks") or {}).get(element_id or "") or {}).get("names") or {}).get("en")
    return _shown(name or element_id or "", english or "")


@bp.app_template_global("version_choice_label")
def version_choice_label(definition, element_id: str | None, choice: str | None) -> Markup | str:
    if not choice:
        return ""
    task = (_version_meta(definition).get("tasks") or {}).get(element_id or "") or {}
    return _shown(choice, ((task.get("choice_names") or {}).get(choice) or {}).get("en") or "")


@bp.app_template_global("version_outcome_label")
def version_outcome_label(definition, outcome: str | None) -> Markup | str:
    if not outcome:
        return ""
    names = (_version_meta(definition).get("outcome_names") or {}).get(outcome) or {}
    return _shown(outcome, names.get("en") or "")


def named_in_page_language(row: dict) -> dict:
    """A report row (``service``/``service_name`` and, for a step, ``step``/``step_name``) with its names in the page's
    language as plain text, for an export: a spreadsheet cell has no ``lang`` mark, so an untranslated step keeps its
    Indonesian name as it is."""
    if i18n.lang() == i18n.DEFAULT_LANGUAGE:
        return row
    named = dict(row)
    if "service_name" in row:
        named["service_name"] = service_text(row.get("service"), row.get("service_name"))
    if row.get("step_name") or row.get("step"):
        named["step_name"] = plain(step_label(row.get("service"), row.get("step"), row.get("step_name")))
    return named


@bp.app_template_global("lane_label")
def lane_label(definition, who: str | None) -> Markup | str:
    """Who works a step, when that is the lane it is drawn in (``who`` is the lane's name): the lane's ``name.en``
    on an English page. Anything else (the groups' names) is already in the page's language and stays as it is."""
    lanes = _version_meta(definition).get("lanes") or {}
    if not who or who not in lanes:
        return who or ""
    return _shown(who, lanes[who])


@bp.app_template_filter("marked_pick")
def marked_pick(texts) -> Markup | str:
    """A text the BPMN gives in both languages (``{"id": …, "en": …}``, e.g. ``description.id``/``.en``) in the
    page's language; an English page without the English shows the Indonesian marked ``lang="id"``, like a step."""
    if not isinstance(texts, dict):
        return texts or ""
    indonesian, english = texts.get("id") or "", texts.get("en") or ""
    if i18n.lang() == i18n.DEFAULT_LANGUAGE or not indonesian:
        return indonesian or english
    return _shown(indonesian, english)
