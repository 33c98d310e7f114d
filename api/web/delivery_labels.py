"""What staff read for a notice's channel and delivery status (``engine.messaging.deliveries``), in the page's
language: the application page and the administrator's outbox share them."""

from __future__ import annotations

from flask_babel import gettext as _


def delivery_labels() -> dict:
    return {"delivery_channels": {"email": _("E-mail"), "sms": "SMS", "whatsapp": "WhatsApp"},
            "delivery_statuses": {"queued": _("Queued"), "sent": _("Sent"), "failed": _("Failed")}}
