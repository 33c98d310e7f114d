"""What the forgot-password tests of the API and of the pages share: a real SMTP server and a fake SMS gateway on
127.0.0.1, the new password they set, the public address the links point at, and waiting for what a request sends
on a thread of its own.

A test module takes the fixtures by importing ``mail_server_fixture`` and ``gateway_fixture``; they are known to
pytest as ``mail_server`` and ``gateway``.
"""

from __future__ import annotations

import time

import pytest

from tests.fake_gateway import fake_gateway
from tests.scheduler.conftest import running_smtp

NEW_PASSWORD = "perahu-pinisi-di-teluk-bone"
PUBLIC_URL = "https://izin.sulsel.test"


@pytest.fixture(name="mail_server")
def mail_server_fixture():
    """A real SMTP server on 127.0.0.1: yields (mailbox, port)."""
    with running_smtp() as running:
        yield running


@pytest.fixture(name="gateway")
def gateway_fixture():
    with fake_gateway() as running:
        yield running


def arrived(items: list, count: int) -> list:
    """``items`` once ``count`` of them have arrived (mail and SMS go out on a thread of their own), or as they are
    after ten seconds, for the test's own assertion to say what is missing."""
    for _attempt in range(200):
        if len(items) >= count:
            break
        time.sleep(0.05)
    return list(items)
