"""The office is told when a message from outside is refused for one of its applications: a bank's payment callback
of the wrong amount, with data the receiving element does not take, or for a file that has closed.

The sender gets its 400 at once (``engine.integration.messages``), but the money is real: somebody in the office has
to call the bank, ask the applicant to pay again or arrange a refund. So the refusal is recorded on the application
(an audit event the history and the bill show) and each supervisor of the file's office — or, when it has none, each
administrator — gets a notice through the outbox, in the app and by e-mail. The notice is written in the refusal's
own transaction, which ``RecordedRefusal`` commits although the request fails.

A bank retries a callback it sees refused; the same message for the same file tells each person once (the outbox's
dedupe key carries a digest of what was sent), while a different one — another amount — tells them again.

A refused message that reached no application — nothing waits for it, several wait and ``all`` was not asked, its
variables or its request are not what Lincah takes, the client may not send it — is recorded too
(:func:`record_unmatched`), for the administrators on the API clients page: a bank callback that matches nothing is
money somebody has to trace. That record keeps the message's name, the client, the business key and correlation
keys it named, the names (not the values) of the variables it carried, and why it was refused; the client's answer
is unchanged, so it learns nothing about applications it may not see. So are a refused signal (:func:`record_signal`)
and a delivery that lost its race (:func:`record_lost_delivery`: the correlation found a waiting application, but
another step took the wait at the same moment) — that one on the application too, since it named one. A message
naming a running file that waits for nothing of the kind (a file stopped on a refused bill) is also noted on that
file's history (:func:`record_not_waiting`), names only. :func:`admin_log` pages through all of them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.errors import InvalidInput
from engine.messaging import notifications
from engine.storage import audit
from engine.storage.models import Event, Instance
from engine.texts import ENGLISH, INDONESIAN, N_

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

REFUSED, AFTER_CLOSE = "message_refused", "message_after_close"  # audit kinds and notice kinds alike
UNMATCHED = "message_unmatched"  # audit kind: a refused message recorded on no application
SIGNAL_REFUSED = "signal_refused"  # audit kind: a refused signal (a broadcast names no application)
LOST_DELIVERY = "delivery_lost"  # audit kind, on the application: a delivery another step beat to the wait
NOT_WAITING = "message_not_waiting"  # audit kind, on the application: a message for a file not waiting for it
KEYS_MISMATCH = "message_keys_mismatch"  # audit kind, on the application: it waits, but other correlation keys came
# The administrators' log of refusals from outside (the API clients page and GET /api/v1/admin/integration-refusals).
ADMIN_LOG = (UNMATCHED, SIGNAL_REFUSED, LOST_DELIVERY)
_MAX_TEXT, _MAX_KEYS = 200, 20  # what a refusal keeps of each text a client sent, and of how many keys

_TEXTS = {
    REFUSED: (N_("Message %(name)s refused for application %(reg)s"),
              N_("%(client)s sent the message %(name)s for application %(reg)s (%(service)s); it was refused because "
                 "%(fields)s is not what the step %(step)s takes or expects. What was sent: %(sent)s. The file still "
                 "waits for the right message. If this is a payment, check it with the bank and the applicant.")),
    AFTER_CLOSE: (N_("Message %(name)s after application %(reg)s closed"),
                  N_("%(client)s sent the message %(name)s for application %(reg)s (%(service)s) after the file "
                     "closed; nothing waits for it any more. What was sent: %(sent)s. If this is a payment, arrange "
                     "the refund with the bank.")),
}


def shown(values: dict) -> str:
    """``paid_amount = 150000, payment_ref = PAY-77``: what the sender sent, as staff read it."""
    return ", ".join(f"{key} = {value}" for key, value in sorted(values.items())) or "-"


def record(session: Session, ctx: EngineContext, instance: Instance, kind: str, *, actor: str, client: str,
           name: str, values: dict, element_id: str | None = None, problems: dict | None = None,
           **details) -> None:
    """Record the refusal on the application and tell its office. ``problems``: field -> why (a refused value);
    ``details``: more for the audit event (the business key the sender named)."""
    extra = {**details, **({"problems": problems} if problems else {})}
    audit.record(session, kind, actor=actor, at=ctx.now(), instance_id=instance.id, element_id=element_id,
                 name=name, client=client, data=values, **extra)
    tell_office(session, ctx, instance, kind, client=client, name=name, values=values, element_id=element_id,
                fields=sorted(problems or {}))


def tell_office(session: Session, ctx: EngineContext, instance: Instance, kind: str, *, client: str, name: str,
                values: dict, element_id: str | None, fields: list[str]) -> None:
    directory = notifications.Directory.of_active_users(session)
    recipients = directory.supervisors(instance.jurisdiction) or directory.administrators()
    if not recipients:
        return
    definition = instance.definition
    step_names = ((definition.meta or {}).get("tasks") or {}).get(element_id or "") or {}
    params = {"reg": instance.registration_no, "name": name, "client": client, "sent": shown(values),
              "fields": ", ".join(fields) or "-", "step": element_id or "-"}
    names = {INDONESIAN: {"service": definition.name_id or instance.service_key},
             ENGLISH: {"service": definition.name_en or instance.service_key,
                       "step": ((step_names.get("names") or {}).get("en")) or element_id or "-"}}
    subject, body = notifications.in_both_languages(*_TEXTS[kind], params, names)
    digest = hashlib.sha256(json.dumps([name, values], sort_keys=True, default=str).encode()).hexdigest()[:16]
    notifications.enqueue(session, ctx, [
        notifications.Message(kind=kind, recipient=person.username, subject=subject, body=body, email=person.email,
                              instance_id=instance.id,
                              data={"registration_no": instance.registration_no, "message": name, "client": client,
                                    "element_id": element_id, "fields": fields},
                              dedupe_key=f"{kind}:{instance.id}:{digest}:{person.username}")
        for person in recipients])


def _clipped(value) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT - 1] + "…"


def _keys_sent(*maps) -> dict[str, str]:
    """The correlation keys as sent (Camunda's ``{"value": …, "type": …}`` or a bare value), as texts: kept even
    when they were what was refused, so the record says what the client tried."""
    keys: dict[str, str] = {}
    for given in maps:
        for key, value in (given.items() if isinstance(given, dict) else ()):
            if len(keys) == _MAX_KEYS:
                return keys
            keys[_clipped(key)] = _clipped(value.get("value") if isinstance(value, dict) else value)
    return keys


def _names(variables) -> list[str]:
    """The names of the variables sent, never their values (they may be personal data)."""
    return sorted(_clipped(key) for key in variables)[:_MAX_KEYS] if isinstance(variables, dict) else []


def _text(value) -> str | None:
    return None if value is None else _clipped(value)


def _problems(problems: dict | None, variables=None) -> dict[str, str]:
    """Why each variable was refused, without the value sent: a type check quotes it ("cannot hold 'x'")."""
    sent = [item.get("value") if isinstance(item, dict) else item
            for item in (variables.values() if isinstance(variables, dict) else ())]
    texts = {repr(value) for value in sent if value is not None and not isinstance(value, bool)} | \
        {value for value in sent if isinstance(value, str)}
    quoted = sorted((text for text in texts if len(text) >= 3), key=len, reverse=True)  # not every "1" in a text

    def without_values(why) -> str:
        text = str(why)
        for value in quoted:
            text = text.replace(value, "…")
        return _clipped(text)

    return {_clipped(key): without_values(why) for key, why in (problems or {}).items()}


def record_unmatched(session: Session, ctx: EngineContext, *, actor: str, client: str, name, reason: str,
                     business_key=None, correlation_keys=None, local_correlation_keys=None, variables=None,
                     problems: dict | None = None) -> None:
    """Record a message refused before it reached any application (``UNMATCHED``), for the administrators.
    ``variables``: the process variables as sent — only their names are kept, values may be personal data;
    ``problems``: field -> why, when the variables were what was refused."""
    audit.record(session, UNMATCHED, actor=actor, at=ctx.now(), name=_text(name), client=client,
                 business_key=_text(business_key),
                 correlation_keys=_keys_sent(correlation_keys, local_correlation_keys), variables=_names(variables),
                 reason=str(reason)[:2000], problems=_problems(problems, variables))


def record_signal(session: Session, ctx: EngineContext, *, actor: str, client: str, name, reason: str,
                  variables=None, problems: dict | None = None) -> None:
    """Record a refused signal (``SIGNAL_REFUSED``) for the administrators: its name, the names of its variables,
    why. A signal is a broadcast, so it names no application."""
    audit.record(session, SIGNAL_REFUSED, actor=actor, at=ctx.now(), name=_text(name), client=client,
                 variables=_names(variables), reason=str(reason)[:2000], problems=_problems(problems, variables))


def record_lost_delivery(session: Session, ctx: EngineContext, *, actor: str, client: str, kind: str, name: str,
                         instance_id: int, registration_no: str, element_id: str | None, reason: str, variables=None,
                         business_key=None, correlation_keys=None) -> None:
    """Record a delivery refused because another step took the wait at the same moment (``LOST_DELIVERY``): on the
    application the correlation found (its history) and in the administrators' log. ``kind``: message or signal."""
    audit.record(session, LOST_DELIVERY, actor=actor, at=ctx.now(), instance_id=instance_id,
                 element_id=element_id, name=_text(name), client=client, event=kind,
                 registration_no=registration_no,
                 business_key=_text(business_key), correlation_keys=_keys_sent(correlation_keys),
                 variables=_names(variables), reason=str(reason)[:2000])


def record_not_waiting(session: Session, ctx: EngineContext, instance: Instance, *, actor: str, client: str,
                       name: str, variables=None) -> None:
    """Note on a running application's history that a message named it while it waited for no such message (a
    bank's payment for a file stopped on a refused bill): its officers learn the money came. Names only: the
    history is read beyond the office (the applicant's own API), and the bank keeps the values."""
    audit.record(session, NOT_WAITING, actor=actor, at=ctx.now(), instance_id=instance.id, name=_text(name),
                 client=client, status=instance.status, variables=_names(variables))


def record_keys_mismatch(session: Session, ctx: EngineContext, instance: Instance, *, actor: str, client: str,
                         name: str, keys: dict, mismatched: list[str]) -> None:
    """Note on an application that waits for message ``name`` that the message named it by business key with
    correlation keys it does not wait for (a payment for the right file under another bill number or amount): its
    officers learn the bank tried. Key names only, as for ``record_not_waiting``: which were sent, which differed."""
    audit.record(session, KEYS_MISMATCH, actor=actor, at=ctx.now(), instance_id=instance.id, name=_text(name),
                 client=client, keys=_names(keys), mismatched=sorted(_clipped(key) for key in mismatched)[:_MAX_KEYS])


def recent_unmatched(session: Session, limit: int = 50) -> list[Event]:
    """The latest refusals of the administrators' log, newest first (the ``(kind, at)`` index)."""
    return admin_log(session, limit=limit).events


@dataclass(frozen=True)
class LogPage:
    events: list[Event]
    total: int  # every refusal the filters match, not only this page's


def admin_log(session: Session, *, client: str | None = None, kind: str | None = None,
              since: datetime | None = None, offset: int = 0, limit: int = 50) -> LogPage:
    """A page of the administrators' log of refusals, newest first. ``client``: the API client's name (its audit
    actor, an indexed column rather than the JSON); ``kind``: one of ``ADMIN_LOG``; ``since``: at or after."""
    if kind is not None and kind not in ADMIN_LOG:
        raise InvalidInput(f"There is no refusal kind {kind!r}.", {"kind": f"Use one of: {', '.join(ADMIN_LOG)}."})
    wanted = [Event.kind.in_(ADMIN_LOG) if kind is None else Event.kind == kind]
    if client is not None:
        wanted.append(Event.actor == f"client:{client}")
    if since is not None:
        wanted.append(Event.at >= since)
    total = session.scalar(select(func.count()).select_from(Event).where(*wanted)) or 0
    events = list(session.scalars(select(Event).where(*wanted).order_by(Event.at.desc(), Event.id.desc())
                                  .offset(offset).limit(limit)))
    return LogPage(events, total)
