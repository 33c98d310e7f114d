"""Wiring the web pages into the app: session cookie, languages, CSRF, templates, error pages, built assets.

``register_web(app)`` is the single call ``create_app`` makes. It sets what the pages need and the API does not:
a secret key for the session cookie (``LINCAH_SECRET_KEY``, else one generated once and kept in the instance
folder, so every worker process of an installation shares it), Flask-Babel, and HTML error pages for the pages'
own routes (the API keeps its JSON errors).
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

from flask import Flask, g, jsonify, redirect, render_template, request, send_from_directory, url_for
from flask_babel import Babel
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError, IntegrityError, PendingRollbackError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from engine import texts
from engine.casework.counter import FRONT_OFFICE
from engine.errors import Forbidden, LincahError, NotFound
from engine.messaging import notifications
from engine.people.access import ADMIN, ANALYST, APPLICANT, MANAGER, OFFICER, SUPERVISOR
from engine.people.tokens import Throttled, Unauthenticated
from engine.storage import db

from .. import errors, installation_sync
from ..errors import status_of
from ..unit_of_work import session
from . import i18n, labels, session_cookie
from .blueprint import bp
from .security import CsrfFailed, check_csrf, csrf_token, current_actor, here

log = logging.getLogger("lincah.web")
PACKAGE = Path(__file__).resolve().parent
DIST = PACKAGE.parent / "static" / "dist"


def _secret_key(app: Flask) -> str:
    if app.config.get("SECRET_KEY"):
        return app.config["SECRET_KEY"]
    settings = app.extensions["lincah"]["ctx"].settings
    if settings.secret_key:
        return settings.secret_key
    # Generated once per installation: on PostgreSQL every host adopts the one in the database (api/installation_sync).
    return installation_sync.local_session_key(Path(settings.instance_path) / "secret_key")


def _generates_its_key(app: Flask) -> bool:
    return not app.config.get("SECRET_KEY") and not app.extensions["lincah"]["ctx"].settings.secret_key


def register_web(app: Flask) -> None:
    from . import bilingual, regno, views  # noqa: F401 - attaches the routes (and the template globals) to ``bp``

    generated = _generates_its_key(app)
    app.secret_key = _secret_key(app)
    installation_sync.register(app, share_session_key=generated)
    ctx = app.extensions["lincah"]["ctx"]
    session_cookie.configure(app, ctx.settings)  # __Host-, Secure on an https public URL; always HttpOnly, Lax
    app.config.setdefault("BABEL_DEFAULT_LOCALE", i18n.DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", ctx.settings.timezone)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(texts.CATALOGUE))
    Babel(app, locale_selector=i18n.select_locale)
    app.jinja_env.filters.update(i18n.FILTERS)
    app.jinja_env.globals.update(labels.TEMPLATE_GLOBALS)
    app.jinja_env.filters["office"] = labels.office_name
    app.jinja_env.add_extension("jinja2.ext.do")
    app.register_blueprint(bp)
    app.add_url_rule("/assets/dist/<path:filename>", "web_dist", _dist)
    app.register_error_handler(404, _address_not_found)


def _address_not_found(error: HTTPException):
    """An address no route has: a person's browser gets the pages' own 404 (with the way back), a program the
    API's JSON."""
    if request.path.startswith("/api/") or not request.accept_mimetypes.accept_html:
        return errors.http_error(error)
    g.page_outside_web = True  # the page's layout (menu, language switch) as on the web pages themselves
    return _error_page(404)


bp.before_request(check_csrf)


def _dist(filename: str):
    return send_from_directory(DIST, filename, max_age=3600)


@bp.app_template_global()
def asset_built(filename: str) -> bool:
    """Whether ``make web`` has put a file into api/static/dist (pages degrade gracefully without it)."""
    return (DIST / filename).is_file()


def _navigation(actor) -> list[tuple[str, str, str]]:
    """(endpoint, label, active-prefix) of the main menu for this person."""
    items = [("web.catalogue", _("Services"), "/services")]
    if actor is None:
        return items
    if actor.has_role(OFFICER, SUPERVISOR):
        items.append(("web.inbox", _("Inbox"), "/inbox"))
    if actor.has_role(OFFICER) and FRONT_OFFICE in actor.groups:
        items.append(("web.counter_intake", _("Counter"), "/counter"))
    if actor.institution_operator:
        items.append(("web.campus_files", _("Students' files"), "/campus"))
    if APPLICANT in actor.roles:
        items.append(("web.my_applications", _("My applications"), "/applications"))
    elif actor.has_role(OFFICER, SUPERVISOR, MANAGER):
        items.append(("web.my_applications", _("Applications"), "/applications"))
    items.append(("web.notifications_page", _("Notifications"), "/notifications"))
    if ADMIN in actor.roles:
        items.append(("web.admin_users", _("Users"), "/admin"))
    if actor.has_role(ANALYST):
        items.append(("web.analyst_services", _("Service design"), "/analyst"))
    if actor.has_role(MANAGER, SUPERVISOR):  # a supervisor's figures are their offices'
        items.append(("web.manager_dashboard", _("SLA dashboard"), "/manager"))
    return items


@bp.app_context_processor
def _page_context():
    if request.blueprint != "web" and not g.get("page_outside_web"):
        return {}
    actor = current_actor()
    unread = 0
    if actor is not None and not g.get("database_unavailable"):
        try:
            unread = notifications.unread_count(session(), actor)
        except Exception:  # noqa: BLE001 - an error page must render even when the database is the problem
            unread = 0
    return {"actor": actor, "csrf_token": csrf_token, "lang": i18n.lang(), "languages": i18n.LANGUAGES,
            "navigation": _navigation(actor), "unread": unread, "here": here(),
            "staff_page": bool(g.get("staff_page"))}


# --- error pages ------------------------------------------------------------------------------------------------

_TITLES = {
    400: lambda: _("The request could not be read"),
    403: lambda: _("Not allowed"),
    404: lambda: _("Not found"),
    405: lambda: _("Not allowed"),
    409: lambda: _("Someone else was quicker"),
    413: lambda: _("The upload is too large"),
    422: lambda: _("Some fields are not valid"),
    429: lambda: _("Too many attempts"),
    503: lambda: _("Temporarily unavailable"),
}

_EXPLANATIONS = {
    400: lambda: _("Go back, reload the page and try again."),
    403: lambda: _("Your account does not allow this. Ask an administrator if you should have access."),
    404: lambda: _("The page or document does not exist, or it belongs to an office you do not serve."),
    405: lambda: _("Go back and use the buttons on the page."),
    409: lambda: _("The application changed while you were working on it. Reload it to see its current state."),
    413: lambda: _("Documents can be up to 10 MB each. Scan them at a lower resolution, or upload them one by one."),
    422: lambda: _("Go back and correct the form."),
    429: lambda: _("Wait a moment, then try again."),
    503: lambda: _("The database does not answer right now. Wait a minute, then reload the page. If you were sending "
                   "a form, check whether it was saved before sending it again. If it keeps happening, tell the "
                   "administrator."),
}


def _error_page(status: int, detail: str | None = None, reference: str | None = None):
    title = _TITLES.get(status, lambda: _("Something went wrong"))()
    explanation = _EXPLANATIONS.get(status, lambda: _("Try again. If it keeps happening, tell the administrator."))()
    if status == 404 and not _staff_visitor():
        # Offices are staff's business: an applicant (or a visitor) is told where to find their own files.
        explanation = _("The page or document does not exist, or it is not yours. Your applications are listed "
                        "under My applications.")
    headers = {"Retry-After": errors.RETRY_AFTER} if status == 503 else {}
    return render_template("web/error.html", status=status, title=title, explanation=explanation, detail=detail,
                           reference=reference), status, headers


def _staff_visitor() -> bool:
    try:
        actor = current_actor()
    except Exception:  # noqa: BLE001 - an error page must render even when the session cannot be read
        return False
    return actor is not None and actor.is_staff


@bp.errorhandler(CsrfFailed)
def _csrf_failed(error):
    return _error_page(400, _("The form had expired (or came from another site). Reload the page and send it "
                              "again; nothing was saved."))


@bp.errorhandler(Unauthenticated)
def _unauthenticated(error):
    if isinstance(error, Throttled):
        return _error_page(429, _("Too many failed sign-ins. Wait %(seconds)d seconds, then try again.",
                                  seconds=error.retry_after))
    return redirect(url_for("web.signin", next=here()))


@bp.errorhandler(LincahError)
def _engine_error(error: LincahError):
    status = status_of(error)
    # The engine's sentence says what to do next. A message from the catalogue (engine.texts.Text) is said in the
    # page's language with the same specifics; one the engine still writes in English only is shown on English pages.
    said_in_language = isinstance(error.message, texts.Text) or i18n.lang() == "en"
    detail = error.localized(i18n.lang()) if said_in_language and not isinstance(error, NotFound | Forbidden) else None
    return _error_page(status, detail)


# The pages' endpoints that answer scripts in JSON, with the shape their other errors have; an error raised before
# the view runs (the body over MAX_CONTENT_LENGTH) must keep that shape, not become an HTML page.
_JSON_ERRORS = {
    "web.analyst_deploy": lambda message: {"message": message, "problems": []},
    "web.upload": lambda message: {"error": message},
    "web.analyst_model_folder": lambda message: {"message": message, "problems": [], "errors": 1},
}


def _too_large() -> str:
    # A view may allow more than the application (a model folder travels unpacked): its own limit is the one said.
    megabytes = (request.max_content_length or 0) / (1024 * 1024)
    limit = int(megabytes) if megabytes == int(megabytes) else round(megabytes, 1)
    return _("The upload is too large: up to %(limit)s MB can be sent at once. Make the file smaller and try again.",
             limit=i18n.number(limit))


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    shape = _JSON_ERRORS.get(request.endpoint or "")
    if shape is not None and error.code == 413:
        return jsonify(shape(_too_large())), 413
    return _error_page(error.code or 500)


def _database_failure(error: Exception):
    """The database down, frozen or overloaded: 503 and the way back, not an error reference for a bug."""
    if db.unavailable(error):
        errors.note_unavailable(error)
        # The page around the message must not ask the database again (who is signed in, unread notifications):
        # that would wait out another timeout, or fail the error page itself.
        g.database_unavailable = True
        g.setdefault("web_actor", None)
        g.setdefault("web_token_id", None)
        shape = _JSON_ERRORS.get(request.endpoint or "")
        if shape is not None:
            return jsonify(shape(_EXPLANATIONS[503]())), 503, {"Retry-After": errors.RETRY_AFTER}
        return _error_page(503)
    if db.lost_race(error) or isinstance(error, IntegrityError):
        log.info("lost race on a web page answered as 409: %s", error)
        return _error_page(409)
    return _unexpected(error)


for _failure in (DBAPIError, PoolTimeout, PendingRollbackError):
    bp.register_error_handler(_failure, _database_failure)


@bp.errorhandler(Exception)
def _unexpected(error: Exception):
    reference = uuid.uuid4().hex[:12]
    log.exception("unexpected error on a web page (reference %s)", reference, exc_info=error)
    return _error_page(500, reference=reference)
