"""A fake SMS/WhatsApp gateway for the channel tests: real HTTP on 127.0.0.1 (a free port), answering each POST with
the next scripted answer (then 200), and keeping what it was sent."""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from tests.local_http import FakeServiceHandler, serve_locally


@dataclass
class Received:
    path: str
    headers: dict
    body: dict


@dataclass
class FakeGateway:
    url: str
    answers: list = field(default_factory=list)  # (status, text) or ("slow", seconds) per request, in order
    received: list[Received] = field(default_factory=list)


@contextmanager
def fake_gateway(answers=()):
    gateway = FakeGateway(url="", answers=list(answers))

    class Handler(FakeServiceHandler):
        def do_POST(self):  # noqa: N802 (the standard library's name)
            raw = self.read_body()
            gateway.received.append(Received(self.path, dict(self.headers), json.loads(raw or b"{}")))
            status, text = gateway.answers.pop(0) if gateway.answers else (200, '{"status": "queued"}')
            if status == "slow":
                time.sleep(text)
                status, text = 200, '{"status": "late"}'
            self.answer(status, text.encode(), "application/json")

    server = serve_locally(Handler)
    gateway.url = f"{server.base_url}/api/send"
    try:
        yield gateway
    finally:
        server.stop()
