"""A fake SMS/WhatsApp gateway for the channel tests: real HTTP on 127.0.0.1 (a free port), answering each POST with
the next scripted answer (then 200), and keeping what it was sent."""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


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

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the standard library's name)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            gateway.received.append(Received(self.path, dict(self.headers), json.loads(raw or b"{}")))
            status, text = gateway.answers.pop(0) if gateway.answers else (200, '{"status": "queued"}')
            if status == "slow":
                time.sleep(text)
                status, text = 200, '{"status": "late"}'
            payload = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    gateway.url = f"http://127.0.0.1:{server.server_port}/api/send"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
