"""Scheduler tests use the engine tests' deployment fixtures and a real SMTP server on localhost."""

from __future__ import annotations

import socket
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.policy import default

import pytest
from aiosmtpd.controller import Controller

from tests.engine.conftest import deploy, deploy_service  # noqa: F401 - fixtures shared with the engine tests


@dataclass
class Mailbox:
    """What arrived at the test SMTP server; ``refuse`` holds replies to give instead of accepting, in order."""

    received: list = field(default_factory=list)
    refuse: list = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return self.refuse.pop(0)
        self.received.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list:
        return [message_from_bytes(envelope.content, policy=default) for envelope in self.received]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_smtp():
    """A real SMTP server (aiosmtpd) on localhost for as long as the block runs: yields (mailbox, port)."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield mailbox, controller.port
    finally:
        controller.stop()


@pytest.fixture
def smtp_server():
    with running_smtp() as running:
        yield running
