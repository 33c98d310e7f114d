"""Form drafts (*draf*): what a person typed into a form and has not sent yet, kept on the server.

An applicant on a phone loses a refresh, a tapped header link, an expired session or a dropped connection; an
officer closes the tab half-way through a verification. The page saves the form's inputs here as they type
(``save``), and draws them again on return (``load``) — on any device, since the draft belongs to the account, not
the browser. A draft is one per account and form (``scope``): ``start:<service key>`` for a service's start form,
``task:<task id>`` for a step's form (a revision, an officer's task).

A draft is only a convenience. It holds the inputs as ``[name, value]`` pairs, exactly as the form would send
them, and is read back through the page's own form parser without validation; sending the form validates
everything as if no draft existed, and the draft goes once the form was accepted (``discard``). Nobody reads
another's draft: every lookup is by (owner, scope), and the caller checks the owner may use that form at all
(``scope_for_start`` / ``scope_for_task`` take what the pages checked).

Bounds keep a draft from becoming a storage channel: at most ``MAX_PAIRS`` inputs, ``MAX_VALUE`` characters each,
``MAX_BYTES`` in all, ``MAX_DRAFTS`` per account. Uploads a draft refers to (``<field>.__id``) are kept from the
unattached-upload cleanup (``form_draft_file``) while the draft lives — only the owner's own uploads.

Drafts expire ``Settings.draft_lifetime_days`` after their last save; ``draft_notice_days`` before that the owner
is told once (a notification, e-mailed when they have an address), with the link to the form. Saves are not
audited one by one (an autosave every few seconds would drown the log); expiry and the notice are, as counts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.casework import tasks
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.messaging import notifications
from engine.people.access import APPLICANT, OFFICER, SUPERVISOR, Actor, may_work
from engine.services import definitions
from engine.storage import audit
from engine.storage.models import Attachment, FormDraft, FormDraftFile, User
from engine.texts import N_, Text

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

MAX_PAIRS = 1000
MAX_NAME = 300
MAX_VALUE = 20_000
MAX_BYTES = 256 * 1024
MAX_DRAFTS = 50
MAX_SCOPE = 250
# Inputs a draft never keeps: the form's CSRF token, the button pressed, the optimistic-lock revision.
SKIPPED = frozenset({"_csrf", "_action", "_decision", "_revision", "_scope", "_queue"})
REF_SUFFIX = ".__id"
DRAFT_EXPIRING = "draft_expiring"


@dataclass(frozen=True)
class Restored:
    """A draft as a page needs it: the inputs and when they were last saved."""

    pairs: list[tuple[str, str]]
    saved_at: datetime
    expires_at: datetime


def scope_for_start(service_key: str) -> str:
    return _checked_scope(f"start:{service_key}")


def scope_for_task(task_id: str) -> str:
    return _checked_scope(f"task:{task_id}")


def authorize(session: Session, actor: Actor, scope: str) -> str:
    """``scope`` when ``actor`` may send that form now: a start form's to whoever may apply for a published service,
    a task's to whoever may work the open task. ``NotFound`` (no such form, or not one they can see) or
    ``Forbidden`` otherwise — the same answers the form's own page gives."""
    kind, _sep, key = (scope or "")[:MAX_SCOPE + 1].partition(":")
    if kind == "start" and key:
        if not actor.has_role(APPLICANT, OFFICER, SUPERVISOR):
            raise Forbidden(Text(N_("Only applicants and the front office apply.")))
        definitions.latest_published(session, key)  # NotFound for a service nobody may apply to
        return scope_for_start(key)
    if kind == "task" and key:
        task, instance = tasks.get(session, key, actor)
        if task.state not in ("ready", "claimed") or not may_work(
                actor, for_applicant=task.for_applicant, applicant=instance.applicant, assignee=task.assignee,
                candidate_groups=task.candidate_groups, jurisdiction=task.jurisdiction):
            raise Forbidden(Text(N_("This task is not yours to work.")))
        return scope_for_task(task.id)
    raise NotFound(Text(N_("There is no form %(scope)s: use start:<service key> or task:<task id>."),
                        {"scope": repr((scope or "")[:80])}))


def _checked_scope(scope: str) -> str:
    if len(scope) > MAX_SCOPE:
        raise InvalidInput(Text(N_("This form cannot keep a draft (its name is too long).")),
                           {"scope": Text(N_("At most %(num)d characters."), {"num": MAX_SCOPE})})
    return scope


def _clean(pairs) -> list[list[str]]:
    """The pairs a draft keeps, checked against the bounds; ``InvalidInput`` names the input and the limit."""
    kept = []
    for name, value in pairs:
        if not isinstance(name, str) or not isinstance(value, str):
            continue  # a file input's bytes: uploads travel on their own and are referenced by ``.__id``
        if name in SKIPPED:
            continue
        if len(name) > MAX_NAME:
            raise InvalidInput(Text(N_("The draft was not saved: a field name is longer than %(num)d characters."),
                                    {"num": MAX_NAME}), {"fields": name[:80]})
        if len(value) > MAX_VALUE:
            raise InvalidInput(Text(N_("The draft was not saved: field %(field)s holds more than %(num)d "
                                       "characters. Shorten it; the form itself will say its own limit."),
                                    {"field": name, "num": MAX_VALUE}), {name: MAX_VALUE})
        kept.append([name, value])
    if len(kept) > MAX_PAIRS:
        raise InvalidInput(Text(N_("The draft was not saved: the form has more than %(num)d inputs."),
                                {"num": MAX_PAIRS}), {"fields": len(kept)})
    return kept


def _size(fields: list) -> int:
    return len(json.dumps(fields, ensure_ascii=False).encode("utf-8"))


def save(session: Session, ctx: EngineContext, actor: Actor, scope: str, pairs) -> FormDraft:
    """Keep ``pairs`` (the form's inputs) as ``actor``'s draft of ``scope``, replacing the previous one; the draft's
    life starts again. ``InvalidInput`` when it is over a bound (what to shorten is said)."""
    scope = _checked_scope(scope)
    fields = _clean(pairs)
    size = _size(fields)
    if size > MAX_BYTES:
        raise InvalidInput(Text(N_("The draft was not saved: it is larger than %(num)d KB. Send the form, or "
                                   "shorten the longest texts."), {"num": MAX_BYTES // 1024}), {"fields": size})
    now = ctx.now()
    expires = now + timedelta(days=ctx.settings.draft_lifetime_days)
    for _attempt in range(3):
        draft = session.scalar(select(FormDraft).where(FormDraft.owner == actor.username, FormDraft.scope == scope)
                               .with_for_update())
        if draft is not None:
            draft.fields, draft.size, draft.updated_at, draft.expires_at = fields, size, now, expires
            draft.expiry_notified_at = None
            session.flush()
            break
        held = session.scalar(select(func.count(FormDraft.id)).where(FormDraft.owner == actor.username,
                                                                     FormDraft.expires_at > now)) or 0
        if held >= MAX_DRAFTS:
            raise InvalidInput(Text(N_("The draft was not saved: you already keep %(num)d unsent forms. Send or "
                                       "discard some of them first."), {"num": MAX_DRAFTS}), {"scope": scope})
        draft = FormDraft(owner=actor.username, scope=scope, fields=fields, size=size, created_at=now,
                          updated_at=now, expires_at=expires)
        try:
            with session.begin_nested():  # two tabs saving the first draft at once: the second updates it
                session.add(draft)
                session.flush()
            break
        except IntegrityError:
            continue
    else:
        raise Conflict(Text(N_("The draft was saved from another tab at the same moment. Type on; it saves again.")))
    _keep_uploads(session, actor, draft, fields)
    return draft


def _keep_uploads(session: Session, actor: Actor, draft: FormDraft, fields: list) -> None:
    """Record the owner's own unattached uploads the draft refers to, so the cleanup leaves them."""
    wanted = {value for name, value in fields if name.endswith(REF_SUFFIX) and value}
    session.execute(delete(FormDraftFile).where(FormDraftFile.draft_id == draft.id))
    if not wanted:
        return
    own = session.scalars(select(Attachment.id).where(Attachment.id.in_(sorted(wanted)[:MAX_PAIRS]),
                                                      Attachment.uploaded_by == actor.username))
    session.add_all(FormDraftFile(draft_id=draft.id, attachment_id=attachment_id) for attachment_id in own)
    session.flush()


def load(session: Session, ctx: EngineContext, actor: Actor, scope: str) -> Restored | None:
    """``actor``'s live draft of ``scope``, or None (never anyone else's)."""
    draft = session.scalar(select(FormDraft).where(FormDraft.owner == actor.username, FormDraft.scope == scope,
                                                   FormDraft.expires_at > ctx.now()))
    if draft is None:
        return None
    return Restored([(name, value) for name, value in draft.fields or []], draft.updated_at, draft.expires_at)


def discard(session: Session, actor: Actor, scope: str) -> bool:
    """Forget ``actor``'s draft of ``scope`` (sent, or thrown away); True when there was one."""
    ids = list(session.scalars(select(FormDraft.id).where(FormDraft.owner == actor.username,
                                                         FormDraft.scope == scope)))
    if not ids:
        return False
    session.execute(delete(FormDraftFile).where(FormDraftFile.draft_id.in_(ids)))
    session.execute(delete(FormDraft).where(FormDraft.id.in_(ids)))
    return True


def link_of(scope: str, public_url: str) -> str:
    """Where the form of ``scope`` is, for the expiry notice (empty without a public address)."""
    if not public_url:
        return ""
    kind, _sep, key = scope.partition(":")
    return f"{public_url}/services/{key}/apply" if kind == "start" else f"{public_url}/tasks/{key}"


def warn_expiring(session: Session, ctx: EngineContext) -> int:
    """Tell each owner, once, about their drafts that go within ``draft_notice_days``; return how many were told."""
    now = ctx.now()
    horizon = now + timedelta(days=ctx.settings.draft_notice_days)
    due = list(session.execute(
        select(FormDraft.id, FormDraft.owner, FormDraft.scope, FormDraft.expires_at, User.email)
        .join(User, User.username == FormDraft.owner, isouter=True)
        .where(FormDraft.expires_at > now, FormDraft.expires_at <= horizon, FormDraft.expiry_notified_at.is_(None))
        .order_by(FormDraft.expires_at).limit(1000)))
    if not due:
        return 0
    messages = []
    for draft_id, owner, scope, expires_at, email in due:
        link = link_of(scope, ctx.settings.public_url)
        subject, body = notifications.in_both_languages(
            N_("Your unsent form will be deleted on %(time)s"),
            N_("You started a form and have not sent it yet. What you typed is kept as a draft until %(time)s, then "
               "deleted. Open the form again to finish and send it%(link)s."),
            {"time": notifications.local_time(ctx, expires_at), "link": f": {link}" if link else ""})
        messages.append(notifications.Message(kind=DRAFT_EXPIRING, recipient=owner, subject=subject, body=body,
                                              email=email or None, data={"scope": scope},
                                              dedupe_key=f"{DRAFT_EXPIRING}:{draft_id}:{expires_at.isoformat()}"))
    notifications.enqueue(session, ctx, messages)
    session.execute(FormDraft.__table__.update().where(FormDraft.id.in_([row[0] for row in due]))
                    .values(expiry_notified_at=now))
    audit.record(session, "drafts_expiry_notice", actor=None, at=now, drafts=len(due))
    return len(due)


def purge_expired(session: Session, ctx: EngineContext) -> int:
    """Delete the drafts whose time is over (their uploads become ordinary unattached ones); return how many."""
    now = ctx.now()
    expired = list(session.scalars(select(FormDraft.id).where(FormDraft.expires_at <= now).limit(5000)))
    if not expired:
        return 0
    session.execute(delete(FormDraftFile).where(FormDraftFile.draft_id.in_(expired)))
    gone = session.execute(delete(FormDraft).where(FormDraft.id.in_(expired))).rowcount
    audit.record(session, "drafts_expired", actor=None, at=now, drafts=gone)
    return gone
