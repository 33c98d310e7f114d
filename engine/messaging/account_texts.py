"""SMS and WhatsApp about a person's account that must not wait in the outbox: the forgot-password code.

Like the reset link (``engine.messaging.account_mail``), the code is a secret the database must not hold in clear,
so it is sent at once through the gateway (``engine.messaging.channels.HttpGateway``) on a thread of its own: the
page answers as fast whether or not an account has the number, and a lost code is simply asked for again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

from engine.config import Settings
from engine.messaging import sms_text
from engine.messaging.channels import GatewaySettings, HttpGateway
from engine.messaging.mail import Outgoing
from engine.people.reset_codes import LIFETIME, IssuedCode
from engine.texts import ENGLISH, INDONESIAN, N_, render

log = logging.getLogger("lincah.mail")

_CODE_TEXT = N_("Lincah code %(code)s to set a new password for %(username)s, valid %(minutes)d minutes. Never give "
                "it to anyone.")
_SHORT_TEXT = N_("Lincah code %(code)s, valid %(minutes)d minutes. Never give it to anyone.")


def code_text(issued: IssuedCode) -> str:
    """One SMS with the code: in Bahasa Indonesia and English when both fit, else Bahasa Indonesia alone, naming
    the account when there is room (a number shared by two accounts gets one code for each)."""
    values = {"code": issued.code, "username": issued.user.username, "minutes": int(LIFETIME.total_seconds() // 60)}
    for template in (_CODE_TEXT, _SHORT_TEXT):
        indonesian, english = (sms_text.plain(render(template, values, locale)) for locale in (INDONESIAN, ENGLISH))
        for text in (f"{indonesian} / {english}", indonesian):
            if sms_text.fits_one_sms(text):
                return text
    return sms_text.plain(render(_SHORT_TEXT, values, INDONESIAN))


def send_codes(settings: Settings, secrets: Mapping[str, str], codes: list[IssuedCode]) -> threading.Thread | None:
    """Send each code by its channel's gateway on a background thread (returned, so a test may join it); None when
    there is nothing to send."""
    if not codes:
        return None
    try:
        gateways = {channel: HttpGateway(GatewaySettings.from_settings(settings, channel, secrets))
                    for channel in {issued.channel for issued in codes}}
    except ValueError as exc:  # the gateway's secret is named but not set: said in the log, as the scheduler does
        log.warning("password reset code not sent: %s", exc)
        return None
    batch = [(gateways[issued.channel], Outgoing(id=index, email="", subject="", body=code_text(issued), attempts=0,
                                                  channel=issued.channel, phone=issued.phone))
             for index, issued in enumerate(codes)]

    def deliver():
        for gateway, message in batch:
            for delivery in gateway.send([message]):
                if not delivery.ok:
                    log.warning("password reset code not delivered: %s", delivery.error)

    thread = threading.Thread(target=deliver, name="lincah-reset-code", daemon=True)
    thread.start()
    return thread
