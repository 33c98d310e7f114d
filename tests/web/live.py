"""The browser tests' live product: Debian's Chromium driven by Playwright, and the app on its own SQLite database
served by a threaded werkzeug server on a free port.

One copy for every tests/web/*_browser.py file; each file keeps only the set-up that is its own (the services it
deploys, its people, the gateways it talks to). Browser tests run on SQLite only: the server thread and the test
share one database file, which a per-test PostgreSQL schema would not give them.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import WSGIRequestHandler, make_server

from api import create_app
from engine.bpmn.compiler import SourceFile
from engine.clock import FrozenClock
from engine.config import Settings
from engine.context import EngineContext
from engine.services import definitions
from engine.storage.db import make_engine, make_session_factory, transaction, upgrade
from tests.conftest import PROJECT_ROOT, T0

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
AXE = PROJECT_ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
VIEWER = PROJECT_ROOT / "api" / "static" / "dist" / "bpmn-js" / "bpmn-navigated-viewer.production.min.js"
EDITOR_BUNDLE = PROJECT_ROOT / "api" / "static" / "dist" / "editor" / "modeler.js"
# What `make web` builds and the pages load; without it a test would fail far from the cause.
WEB_ASSETS = (AXE, VIEWER, EDITOR_BUNDLE)
SHOTS = PROJECT_ROOT / "docs" / "screenshots"
# The product's own services, as an installation deploys them.
SERVICES = ("research_permit", "fishing_vessel_permit")


@contextmanager
def chromium():
    """One headless Chromium for as long as the block runs (a module's tests share it: launching takes seconds)."""
    assert CHROMIUM.exists(), "Chromium is missing: apt-get install -y chromium (.ci/run does it)"
    missing = [str(path.relative_to(PROJECT_ROOT)) for path in WEB_ASSETS if not path.exists()]
    assert not missing, f"the web assets are missing ({', '.join(missing)}): run `make web`"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        pass  # a failing step shows the browser's view; hundreds of access lines would bury it


@contextmanager
def serve(app):
    """The app on 127.0.0.1 at a free port, in a daemon thread; yields the base URL (no trailing slash)."""
    http = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_port}"
    finally:
        http.shutdown()
        thread.join(timeout=5)
        http.server_close()  # the listening socket too, or every module leaves one open until exit


@dataclass
class Product:
    """A migrated SQLite database in ``folder`` and the engine context over it."""

    folder: Path
    url: str
    ctx: EngineContext
    clock: object
    factory: object

    def transaction(self):
        return transaction(self.factory)

    def app(self, secret_key: str):
        return create_app({"SECRET_KEY": secret_key}, context=self.ctx, session_factory=self.factory)


@contextmanager
def product(folder: Path, *, clock=None, **settings):
    """The database upgraded to the newest migration, a context with ``settings`` (beside the database URL and the
    instance folder) and, unless another is given, a clock that stands still at T0 — so the pages, and the
    screenshots in docs/, come out the same on every run."""
    url = f"sqlite:///{folder / 'lincah.db'}"
    upgrade(url)
    clock = clock or FrozenClock(T0)
    ctx = EngineContext(settings=Settings(database_url=url, instance_path=folder, **settings), clock=clock)
    engine = make_engine(url)
    try:
        yield Product(folder, url, ctx, clock, make_session_factory(engine))
    finally:
        engine.dispose()


def deploy(session, ctx, path: Path) -> None:
    """Deploy and publish one BPMN file with its forms (as the analyst 'analis' would)."""
    definitions.deploy(session, ctx, SourceFile(path.name, path.read_bytes()), [],
                       definitions.form_source(ctx, path), actor="analis")


def deploy_services(session, ctx, keys=SERVICES) -> None:
    for key in keys:
        deploy(session, ctx, PROJECT_ROOT / "processes" / f"{key}.bpmn")


def window(browser, base: str, **options):
    """A new browser window (its own cookies) on the live server: its context, its page, and the script errors
    the page raises (a test asserts there are none)."""
    context = browser.new_context(base_url=base, **options)
    context.set_default_timeout(15_000)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, errors
