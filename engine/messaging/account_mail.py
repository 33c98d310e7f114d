"""Mail about a person's account that must not wait in the outbox: the forgot-password link.

The outbox (``engine.messaging.notifications``) keeps every message's text in the database until it is sent and
after; a reset link there would be a usable secret in a table — the very thing ``engine.people.password_reset``
avoids by storing only a hash. So the link is mailed at once, over its own SMTP connection, on a thread of its own:
the page answers as fast whether or not an account has the address, and a lost mail is simply asked for again.
"""

from __future__ import annotations

import logging
import threading

from engine.messaging.mail import MailSettings, Outgoing, SmtpMailer
from engine.messaging.notifications import in_both_languages
from engine.people.password_reset import LIFETIME, IssuedLink
from engine.texts import N_

log = logging.getLogger("lincah.mail")


def reset_message(link: IssuedLink, url: str) -> tuple[str, str]:
    """The subject and text of the mail carrying ``url`` (the reset page with the token), in both languages."""
    return in_both_languages(
        N_("Set a new password for %(username)s"),
        N_("Someone (we hope you) asked to set a new password for the account %(username)s. Open this link within "
           "%(minutes)d minutes; it works once:\n%(url)s\n\nIf you did not ask, ignore this mail: your password stays "
           "as it is."),
        {"username": link.user.username, "minutes": int(LIFETIME.total_seconds() // 60), "url": url})


def send_reset_links(settings: MailSettings, links: list[tuple[IssuedLink, str]]) -> threading.Thread | None:
    """Mail each ``(link, url)`` on a background thread (returned, so a test may join it); None when e-mail is off
    or there is nothing to send."""
    if not links:
        return None
    if not settings.enabled:
        log.warning("password reset asked for an account with an address, but e-mail is off (LINCAH_SMTP_HOST)")
        return None
    batch = [Outgoing(id=index, email=link.user.email or "", subject=subject, body=body, attempts=0)
             for index, (link, url) in enumerate(links) for subject, body in [reset_message(link, url)]]

    def deliver():
        for delivery in SmtpMailer(settings).send(batch):
            if not delivery.ok:
                log.warning("password reset mail not delivered: %s", delivery.error)

    thread = threading.Thread(target=deliver, name="lincah-reset-mail", daemon=True)
    thread.start()
    return thread
