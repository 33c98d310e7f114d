"""A small threaded HTTP server on 127.0.0.1 that the fakes share: start, stop, JSON in and out."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class JsonHandler(BaseHTTPRequestHandler):
    """Reads a JSON body, writes a JSON answer; the fake itself is ``self.server.fake``."""

    server_version = "LincahFake/1"

    def body(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        if not length:
            return {}
        try:
            value = json.loads(self.rfile.read(min(length, 1_000_000)))
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def answer(self, status: int, value, content_type: str = "application/json; charset=utf-8") -> None:
        data = value if isinstance(value, bytes) else json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:  # the demo's console stays readable; the fakes keep their own record
        pass


class FakeServer:
    """Owns one ``ThreadingHTTPServer`` on 127.0.0.1 (``port`` 0: any free port) served from a daemon thread."""

    handler: type[JsonHandler] = JsonHandler

    def __init__(self, port: int = 0):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), self.handler)
        self.httpd.fake = self
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, name=type(self).__name__, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
