"""``lincah serve`` on gunicorn: the production HTTP server, so the one-command install is fit to serve an office.

One worker process with threads (gthread, serving waiting page reads first: ``api.reads_first``), and the
scheduler's jobs in that worker (``lincah serve`` is the whole product in one process; bigger installations run
gunicorn with several workers and ``lincah scheduler`` beside it, see the README). The app is built inside the
worker, after the fork: database connections and the scheduler's threads never cross a fork.
"""

from __future__ import annotations

import gc
import socket
from collections.abc import Callable

from gunicorn.app.base import BaseApplication

# Settings of gunicorn releases newer than the oldest setup.cfg allows; skipped where the release lacks them.
_NEWER = {"control_socket_disable"}


class _OneProcess(BaseApplication):
    def __init__(self, make_app: Callable, options: dict):
        self._make_app = make_app
        self._options = options
        super().__init__()

    def load_config(self):
        for key, value in self._options.items():
            if key in self.cfg.settings or key not in _NEWER:  # an unknown core setting should fail loudly
                self.cfg.set(key, value)

    def load(self):
        app = self._make_app()
        # What starting built — the app, its SQLAlchemy metadata, the restored specs, the libraries — lives as long
        # as the process. Frozen, the garbage collector stops walking it on every full collection (27 ms for the
        # ~130,000 objects of a started server, measured), which requests would otherwise wait for.
        gc.freeze()
        return app


def run(make_app: Callable, host: str, port: int, threads: int) -> None:
    """Serve ``make_app()`` on ``host:port`` until stopped (Ctrl+C or SIGTERM finish the requests under way)."""
    _OneProcess(make_app, {
        "bind": f"{host}:{port}", "workers": 1, "threads": threads,
        # gthread whose threads take waiting page reads before waiting writes (an officer's inbox does not queue
        # behind a burst of completions).
        "worker_class": "api.reads_first.ReadsFirstWorker",
        # Uploads of 10 MB over a slow regency connection take a while; keep-alive serves a phone's page and assets
        # over one connection.
        "timeout": 120, "graceful_timeout": 30, "keepalive": 5,
        # No access log of gunicorn's: lincah.http logs each request with its request id (engine/observability.py).
        "accesslog": None, "errorlog": "-", "loglevel": "info",
        # gunicorn's control socket lives in the user's home by default: two offices' servers (or a test beside a
        # running one) on one machine would share it. Nothing here uses it.
        "control_socket_disable": True,
    }).run()


def require_free_port(host: str, port: int) -> None:
    """Raise ``OSError`` saying plainly that the address is taken (usually by a Lincah already running), rather
    than letting gunicorn retry five times."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise OSError(
                f"Cannot serve on {host}:{port}: {exc.strerror or exc}. Is Lincah (or another server) already running "
                f"there? Stop it, or choose another port: lincah serve --port {port + 1} (make run PORT={port + 1})."
            ) from None
