"""Real HTTP on 127.0.0.1 for the fakes of outside services (BSrE, a timestamp authority, an SMS gateway): a free
port, a daemon thread, quiet logs, and one way to read a request's body and to answer it.

Each fake keeps only what is its own: the paths it knows and what it answers.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeServiceHandler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass  # a failing test shows its own assertion; access lines would bury it

    def read_body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def answer(self, status: int, payload: bytes = b"", content_type: str | None = None) -> None:
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@dataclass
class LocalServer:
    server: ThreadingHTTPServer
    thread: threading.Thread

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``, no trailing slash."""
        return f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        """Unreachable from here on: the serving thread ends and the listening socket is closed."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_locally(handler: type[BaseHTTPRequestHandler]) -> LocalServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return LocalServer(server, thread)
