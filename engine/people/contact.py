"""How an account is reached outside the app: the channel it prefers for notices (e-mail, SMS or WhatsApp) and its
phone number, kept in E.164 (``+6281234567890``) so every gateway gets the same form whatever people typed
(``0812-3456-7890``, ``62812…``, ``+62 812…``). Numbers are read as Indonesian unless they carry a country code;
``phonenumbers`` (Google's libphonenumber) decides what is a possible, valid number."""

from __future__ import annotations

from typing import TYPE_CHECKING

import phonenumbers
from sqlalchemy.orm import Session

from engine.errors import InvalidInput, NotFound
from engine.storage import audit
from engine.storage.models import User
from engine.texts import N_, Text

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

EMAIL, SMS, WHATSAPP = "email", "sms", "whatsapp"
CHANNELS = (EMAIL, SMS, WHATSAPP)
PHONE_ADVICE = Text(N_("Type a mobile number such as 0812 3456 7890 or +62 812 3456 7890."))


def normalise_phone(text: str | None, *, field: str = "phone") -> str:
    """The number in E.164; ``InvalidInput`` on ``field`` saying what was wrong and what to type."""
    typed = (text or "").strip()
    try:
        number = phonenumbers.parse(typed, "ID")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        message = Text(N_("%(phone)s is not a phone number that can receive messages. %(advice)s"),
                       {"phone": repr(typed[:40]), "advice": PHONE_ADVICE})
        raise InvalidInput(message, {field: message})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_or_none(text) -> str | None:
    """The number in E.164, or None when ``text`` is not a valid number (a form's field read for delivery)."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        return normalise_phone(text)
    except InvalidInput:
        return None


def set_preference(session: Session, ctx: EngineContext, username: str, *, channel: str, phone: str | None) -> User:
    """Save how ``username`` wants notices: a phone is required for SMS and WhatsApp. Audited."""
    user = session.query(User).filter_by(username=username).one_or_none()
    if user is None:
        raise NotFound(Text(N_("There is no user %(username)s."), {"username": repr(username)}))
    if channel not in CHANNELS:
        choose = Text(N_("Choose e-mail, SMS or WhatsApp."))
        raise InvalidInput(choose, {"channel": choose})
    number = normalise_phone(phone) if (phone or "").strip() else None
    if channel != EMAIL and number is None:
        needed = Text(N_("SMS and WhatsApp need your phone number. %(advice)s"), {"advice": PHONE_ADVICE})
        raise InvalidInput(needed, {"phone": needed})
    before = {"channel": user.notify_channel or EMAIL, "phone": user.phone}
    user.notify_channel, user.phone = channel, number
    audit.record(session, "notification_channel_set", actor=username, at=ctx.now(), username=username,
                 before=before, after={"channel": channel, "phone": number})
    session.flush()
    return user
