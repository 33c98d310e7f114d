"""Channels the outbox delivers through, behind one small interface: ``send(batch) -> deliveries``, one
``Delivery`` per message, never raising for a delivery problem (``engine.messaging.mail`` records the outcome,
retries with backoff and marks permanent failures with the reason).

* e-mail — the SMTP sender of ``engine.messaging.mail``;
* SMS and WhatsApp — ``HttpGateway``: Indonesian offices send through a local gateway (a provider's HTTP API), so the
  adapter is generic: a URL, the header carrying the key (its value a connector secret, named, never in the
  settings), and a JSON body template with ``{phone}`` and ``{text}``. A 2xx answer is *sent*; a 5xx, 429, timeout or
  refused connection is tried again later; any other 4xx is a permanent failure with the gateway's own reason.

``Channels`` picks the adapter per row (``notification.channel``); a row whose channel is not configured fails with
that said, for the administrator's outbox page.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import urllib3

from engine.config import Settings
from engine.messaging import sms_text
from engine.messaging.mail import Delivery, MailSettings, Outgoing, SmtpMailer, with_link
from engine.people.contact import EMAIL, SMS, WHATSAPP

_REASON_LIMIT = 300


class Channel(Protocol):
    def send(self, batch: list[Outgoing]) -> list[Delivery]:
        """One delivery per message, in any order; never raises for a delivery problem."""


@dataclass(frozen=True)
class GatewaySettings:
    """One HTTP gateway; ``url`` empty means the channel is off."""

    url: str = ""
    body: str = '{"to": "{phone}", "text": "{text}"}'
    auth_header: str = "Authorization"
    auth_value: str = field(default="", repr=False)  # the secret itself: never in a repr or a log line
    timeout: float = 10.0
    # SMS: a notice is cut to one message (engine.messaging.sms_text); WhatsApp carries the whole text.
    short: bool = False
    public_url: str = ""  # links to the file: a short one in an SMS, the page's in a WhatsApp message

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    @classmethod
    def from_settings(cls, settings: Settings, channel: str, secrets: Mapping[str, str]) -> GatewaySettings:
        """``LINCAH_<CHANNEL>_GATEWAY_*``; the auth value is the connector secret the settings name. ``ValueError``
        when that secret is named but not set (the scheduler refuses to start rather than send unauthenticated)."""
        name = getattr(settings, f"{channel}_gateway_secret")
        if name and name not in secrets:
            raise ValueError(f"LINCAH_{channel.upper()}_GATEWAY_SECRET names the secret {name!r}, which is not set: "
                             f"set LINCAH_SECRET_{name} or add it to the LINCAH_CONNECTOR_SECRETS file.")
        return cls(url=getattr(settings, f"{channel}_gateway_url"), body=getattr(settings, f"{channel}_gateway_body"),
                   auth_header=getattr(settings, f"{channel}_gateway_auth_header"),
                   auth_value=secrets.get(name, "") if name else "", timeout=settings.gateway_timeout,
                   short=channel == SMS, public_url=settings.public_url)


def _json_text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)[1:-1]


def _reason(response) -> str:
    text = response.data[:2000].decode("utf-8", errors="replace").strip()
    return f"HTTP {response.status}: {' '.join(text.split())[:_REASON_LIMIT] or response.reason or '-'}"


class HttpGateway:
    """SMS or WhatsApp through a gateway's HTTP API: one POST per message."""

    def __init__(self, settings: GatewaySettings, pool: urllib3.PoolManager | None = None):
        self.settings = settings
        self.pool = pool or urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(total=settings.timeout))

    def text(self, message: Outgoing) -> str:
        """What the phone shows. A notice (it has a kind): by SMS one message of its first line, number and short
        link; by WhatsApp its subject and whole text with the link to the page. A message without a kind (a reset
        code, ``engine.messaging.account_texts``) was written for the channel and goes as it is."""
        if message.kind is None:
            return message.body
        if self.settings.short:
            return sms_text.for_notice(message.subject, message.body, registration_no=message.registration_no,
                                       instance_id=message.instance_id, public_url=self.settings.public_url)
        body = with_link(message, self.settings.public_url)
        return f"{message.subject}\n{body}" if message.subject else body

    def body(self, message: Outgoing) -> bytes:
        """The template with the number and the text filled in as JSON string content."""
        text = self.text(message)
        filled = self.settings.body.replace("{phone}", _json_text(message.phone or "")) \
            .replace("{text}", _json_text(text))
        return filled.encode()

    def send(self, batch: list[Outgoing]) -> list[Delivery]:
        return [self._send_one(message) for message in batch]

    def _send_one(self, message: Outgoing) -> Delivery:
        if not message.phone:
            return Delivery(message.id, False, "no phone number to send to", permanent=True)
        headers = {"Content-Type": "application/json"}
        if self.settings.auth_value:
            headers[self.settings.auth_header] = self.settings.auth_value
        try:
            response = self.pool.request("POST", self.settings.url, body=self.body(message), headers=headers,
                                         redirect=False, preload_content=True)
        except urllib3.exceptions.HTTPError as exc:
            return Delivery(message.id, False, f"cannot reach the gateway: {type(exc).__name__}")
        if 200 <= response.status < 300:
            return Delivery(message.id, True)
        # 5xx and 429 are the gateway's trouble, worth another try; other 4xx say this message will never go.
        transient = response.status >= 500 or response.status in (408, 429)
        return Delivery(message.id, False, _reason(response), permanent=not transient)


class Channels:
    """The configured channels; ``send`` hands each message to its row's channel (e-mail when none is named)."""

    def __init__(self, adapters: Mapping[str, Channel]):
        self.adapters = dict(adapters)

    @property
    def enabled(self) -> bool:
        return bool(self.adapters)

    @classmethod
    def from_settings(cls, settings: Settings, secrets: Mapping[str, str]) -> Channels:
        adapters: dict[str, Channel] = {}
        mail = MailSettings.from_settings(settings)
        if mail.enabled:
            adapters[EMAIL] = SmtpMailer(mail)
        for channel in (SMS, WHATSAPP):
            gateway = GatewaySettings.from_settings(settings, channel, secrets)
            if gateway.enabled:
                adapters[channel] = HttpGateway(gateway)
        return cls(adapters)

    def send(self, batch: list[Outgoing]) -> list[Delivery]:
        by_channel: dict[str, list[Outgoing]] = defaultdict(list)
        for message in batch:
            by_channel[message.channel or EMAIL].append(message)
        deliveries = []
        for channel, messages in by_channel.items():
            adapter = self.adapters.get(channel)
            if adapter is None:
                deliveries += [Delivery(m.id, False, f"the {channel} channel is not configured on this installation",
                                        permanent=True) for m in messages]
            else:
                deliveries += adapter.send(messages)
        return deliveries

