"""Which channel carries a notice: the one its recipient's account prefers (``engine.people.contact``), staff and
applicants alike, when this installation has it configured and the account has a number, else e-mail.

For an applicant: the one their account prefers (``engine.people.contact``) when
this installation has it configured and a number is known — the account's, else the phone typed into the
application form — else e-mail. Decided when the notice is written (in the step's transaction, from rows already
at hand), so the outbox row says how it will go and staff see it before it is sent."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.people.contact import EMAIL, SMS, WHATSAPP, phone_or_none
from engine.storage.models import User

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.config import Settings
    from engine.context import EngineContext
    from engine.messaging.notifications import Message


def configured(settings: Settings) -> frozenset[str]:
    """The channels a preference may choose here (e-mail always: without SMTP the notice stays in the app)."""
    return frozenset({EMAIL} | {channel for channel in (SMS, WHATSAPP) if getattr(settings, f"{channel}_gateway_url")})


def route_to_applicant(session: Session, ctx: EngineContext, applicant: str, data: dict | None,
                       messages: Iterable[Message]) -> None:
    """Set the channel and number of the messages addressed to ``applicant`` by their preference."""
    mine = [m for m in messages if m.recipient == applicant]
    if not mine:
        return
    for message in mine:
        message.routed = True  # decided here, with the form's number as a fallback: the outbox need not look again
    if not configured(ctx.settings) - {EMAIL}:
        return  # no SMS or WhatsApp gateway here: e-mail it is, whatever the account prefers (no query on each step)
    found = session.execute(select(User.notify_channel, User.phone).where(User.username == applicant)).first()
    channel, phone = (found[0] or EMAIL, found[1]) if found else (EMAIL, None)
    if channel == EMAIL or channel not in configured(ctx.settings):
        return
    phone = phone or phone_or_none((data or {}).get("phone"))
    if phone is None:
        return  # nothing to send a text to: e-mail (or the app) it is
    for message in mine:
        message.channel, message.phone = channel, phone


def route_by_preference(session: Session, ctx: EngineContext, messages: list[Message]) -> None:
    """Set the channel and number of every message not routed yet (an officer's SLA, escalation or handover notice,
    a supervisor's, an administrator's) by its recipient's preference; one query for the lot, none at all when this
    installation has no SMS or WhatsApp gateway."""
    texting = configured(ctx.settings) - {EMAIL}
    waiting = [m for m in messages if not m.routed and m.channel is None]
    if not texting or not waiting:
        return
    found = {username: (channel, phone) for username, channel, phone in session.execute(
        select(User.username, User.notify_channel, User.phone).where(
            User.username.in_(sorted({m.recipient for m in waiting})), User.notify_channel.in_(sorted(texting)),
            User.phone.is_not(None), User.active.is_(True)))}
    for message in waiting:
        if message.recipient in found:
            message.channel, message.phone = found[message.recipient]
