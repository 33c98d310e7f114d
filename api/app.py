"""The application factory: one engine context and one session factory per app, one session per request.

``create_app()`` reads the settings from the environment (``LINCAH_DATABASE_URL`` …); tests pass their own context
(frozen clock) and session factory. Production runs it under gunicorn: ``gunicorn 'api:create_app()'``. A calendars
file that does not load stops the start with a ``ValueError``, before a worker takes a request.
"""

from __future__ import annotations

from flask import request
from flask_smorest import Api
from werkzeug.exceptions import NotFound, UnsupportedMediaType
from werkzeug.middleware.proxy_fix import ProxyFix

from engine.config import Settings
from engine.context import EngineContext
from engine.sandbox import shared_pool
from engine.storage.db import engine_for, make_session_factory

from . import docs, engine_rest, errors, hot_path, installation_sync, observability, rate_limits, security_headers, web
from .engine_rest.hot_path import ROUTE as EXTERNAL_TASK_COMPLETION
from .schemas.common import ErrorSchema
from .unit_of_work import LincahFlask, close_session
from .views import BLUEPRINTS
from .views.tasks_hot_path import COMPLETION as TASK_COMPLETION
from .views.tasks_hot_path import INBOX

# Documents up to 10 MB, BPMN up to 5 MB plus forms: the body limit leaves room for multipart overhead.
MAX_CONTENT_LENGTH = 16 * 1024 * 1024
MULTIPART_ENDPOINTS = {"definitions.deploy", "definitions.lint", "definitions.letter_preview",
                       "attachments.upload"}


class LincahApi(Api):
    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):
        return errors.http_error(error)


def create_app(config: dict | None = None, *, context: EngineContext | None = None, session_factory=None,
               start_scheduler: bool = False, settings: Settings | None = None) -> LincahFlask:
    """Build the WSGI app.

    ``start_scheduler`` runs the periodic jobs (timers, SLA clock, e-mail) in this process, as ``lincah serve``
    does; gunicorn workers leave it off and run ``lincah scheduler`` beside them.
    """
    app = LincahFlask("lincah", instance_relative_config=False)
    app.config.update(docs.CONFIG, MAX_CONTENT_LENGTH=MAX_CONTENT_LENGTH, JSON_SORT_KEYS=False)
    app.config.update(config or {})
    ctx = context or EngineContext(settings=settings or Settings.from_env())
    if session_factory is None:
        session_factory = make_session_factory(engine_for(ctx.settings))  # with the installation's DB timeouts
    installation_sync.refresh_calendars(ctx, session_factory)  # several hosts: the database has the calendars
    check_calendars(ctx)
    if context is None:
        shared_pool().warm()  # a sandbox worker ready before the first script that needs one
    app.extensions["lincah"] = {"ctx": ctx, "session_factory": session_factory, "scheduler": None}
    observability.register(app)  # first: the request id is bound before any other check can log or refuse

    api = LincahApi(app)
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    app.register_blueprint(docs.blp)
    app.register_blueprint(engine_rest.blp)  # Camunda 7's REST contract for external-task workers
    errors.register(app)
    security_headers.register(app)  # CSP, frame and sniffing rules, HSTS on https: pages and API alike
    web.register_web(app)  # the HTML pages (api/web): session cookie, languages, CSRF, their own error pages
    rate_limits.init_app(app, ctx.settings)  # sign-in, registration, uploads, permit check: per address and account
    # Completions and the inbox skip Flask's request machinery (a seventh of a worker's completion's CPU); errors
    # still end here.
    app.wsgi_app = hot_path.HotPaths(app.wsgi_app, app.extensions["lincah"], app.config["MAX_CONTENT_LENGTH"],
                                     [EXTERNAL_TASK_COMPLETION, TASK_COMPLETION, INBOX])
    if ctx.settings.trusted_proxies:
        # Only the last N hops' X-Forwarded-* are believed: a client cannot choose the address it is throttled by.
        n = ctx.settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    app.before_request(_check_request)
    app.teardown_request(close_session)
    if start_scheduler:
        # ``lincah serve`` runs the periodic jobs in the same process so one command shows live SLA states.
        from scheduler.service import SchedulerService

        service = SchedulerService.from_settings(ctx, session_factory)
        service.start()
        app.extensions["lincah"]["scheduler"] = service
    return app


def check_calendars(ctx: EngineContext) -> None:
    """Read the offices' calendars now, so a broken calendars file stops the start rather than the first deadline.

    Raises ``ValueError`` naming the file and what is wrong in it (``lincah calendar check`` says the same).
    """
    ctx.calendars  # noqa: B018 - the property reads and checks the file once


def _has_body() -> bool:
    return bool(request.content_length) or request.headers.get("Transfer-Encoding", "").lower() == "chunked"


def _check_request() -> None:
    """404 for a path no resource can have; 415 for a body of the wrong kind, before anything parses it."""
    if "\x00" in request.path:
        raise NotFound("There is nothing at this address.")
    if request.method not in ("POST", "PUT", "PATCH") or not _has_body() or request.blueprint == "web":
        return  # web pages post HTML forms (urlencoded or multipart), checked by their own views
    mimetype = request.mimetype or ""
    if request.endpoint in MULTIPART_ENDPOINTS:
        if mimetype != "multipart/form-data":
            raise UnsupportedMediaType("Send the files as multipart/form-data.")
    elif request.endpoint is not None and mimetype != "application/json" and not mimetype.endswith("+json"):
        raise UnsupportedMediaType("Send the body as JSON (Content-Type: application/json).")
