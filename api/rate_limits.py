"""Rate limits on the doors an attacker knocks at — sign-in, registration, uploads, the public permit check — per
client address and per account, with Flask-Limiter.

How the three layers of sign-in throttling fit together, and why these numbers (the defaults of ``engine.config``;
every one is a setting, ``LINCAH_LIMIT_<NAME>``):

- **per (account, address)**, in the database (``engine.people.tokens``): 5 free failures, then a pause of 1 minute that
  doubles with each further failure, up to an hour. It stops guessing one person's password from one place, and
  an abusive address locks only itself out of that account.
- **failed sign-ins per address** (``signin_failures_per_address``, 20 a minute, 200 an hour, web and API
  together): spraying one password over many usernames never reaches any account's 5 failures, so it is counted
  per address. A mobile carrier puts many applicants behind one address (CGNAT), so the number leaves room for
  their typos; an IPv6 client is counted per /64, the block one subscriber gets.
- **failed sign-ins per account** (``signin_failures_per_account``, 50 an hour from all addresses): the last line
  against a guesser with many addresses. It must be reached before a guesser gets far, yet be hard to reach for
  someone who only wants to lock a real person out: one address gets about 11 failures an hour through the
  per-(account, address) pauses, so locking an account takes at least five addresses, for an hour at a time.
- **all sign-in attempts per address** (``signin_per_address``, 60 a minute): each attempt costs a scrypt hash
  (~150 ms of CPU), so this bounds what one address can make the server compute.

Registration (20 an hour, 100 a day per address) stops mass account creation; uploads (per account 60 a minute,
600 an hour; per address twice that, since an office's counters share one address) bound disk and CPU; the permit
check (30 a minute, 300 an hour per address) keeps the public page from being used to probe letters in bulk.
Forgot-password requests and link uses (5 a minute, 30 an hour per address) bound the mail sent and the links tried;
form drafts (120 a minute, 2,400 an hour per account) leave a typing person's autosave far below the limit.

Storage: counters are kept in memory per process by default (``LINCAH_RATE_LIMIT_STORAGE=memory://``), so with N
gunicorn workers an address gets up to N times a limit; set a shared storage (``redis://host:6379``, with the
``redis`` package installed) to count across workers and hosts. The per-(account, address) lock-out is in the
database, shared everywhere already. The limits run before the view, so a refused request costs no hash.

Answers: the API's 429 has the usual error body and ``Retry-After``; a page gets the friendly error page saying how
long to wait (``api.web.rate_limited``).
"""

from __future__ import annotations

import ipaddress
import math
import time
from dataclasses import dataclass

from flask import Flask, current_app, g, jsonify, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from limits import parse_many

from engine.config import LIMIT_SETTINGS, Settings
from engine.people import tokens

from .auth import bearer_token
from .errors import error_body
from .unit_of_work import engine_context, session
from .web import rate_limited, security

# Exact: N requests in any stretch of the window's length (a sliding-window counter estimates, and lets a burst
# across a window's edge through). Memory and redis offer it; memcached does not.
STRATEGY = "moving-window"
_FAILED_SIGNIN = "lincah_failed_signin"

# The counters' names (Flask-Limiter's scopes): the same name on two endpoints is one counter for both.
SIGNIN = "signin"
SIGNIN_FAILURES_ADDRESS = "signin-failures-address"
SIGNIN_FAILURES_ACCOUNT = "signin-failures-account"
REGISTER = "register"
UPLOAD_ACCOUNT = "upload-account"
UPLOAD_ADDRESS = "upload-address"
PERMIT_CHECK = "permit-check"
PASSWORD_RESET = "password-reset"
DRAFT = "draft"


def client_address() -> str:
    """Who is calling, as far as the network says: the peer address (the client's own once ``ProxyFix`` has read the
    trusted proxies' headers); an IPv6 address stands for its /64, which one subscriber typically holds whole."""
    address = request.remote_addr or "-"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


def signin_account() -> str:
    """The account a sign-in names (JSON body or form), as ``engine.people.tokens.login`` reads it."""
    body = request.get_json(silent=True) if request.is_json else None
    username = body.get("username") if isinstance(body, dict) else request.form.get("username")
    username = username.strip().lower()[:100] if isinstance(username, str) else ""
    return f"account:{username or '-'}"


def uploader() -> str:
    """The signed-in person uploading (web session or bearer token); a caller without one is counted by address
    (and then refused by the view)."""
    if request.blueprint == "web":
        actor = security.current_actor()
    else:
        try:
            actor, _token_id = tokens.actor_for(session(), engine_context(), bearer_token())
        except tokens.Unauthenticated:
            actor = None
    return f"account:{actor.username}" if actor is not None else f"anonymous:{client_address()}"


def count_failed_signin() -> None:
    """Mark this request as a failed sign-in (wrong username or password), so the failure limits count it."""
    g.setdefault(_FAILED_SIGNIN, True)


def _failed_signin(_response) -> bool:
    return bool(g.get(_FAILED_SIGNIN))


@dataclass(frozen=True)
class Rule:
    setting: str  # the Settings field holding the limit
    scope: str  # the counter's name
    key: object  # what is counted: client_address, signin_account, uploader
    failures_only: bool = False


SIGNIN_RULES = (
    Rule("limit_signin_per_address", SIGNIN, client_address),
    Rule("limit_signin_failures_per_address", SIGNIN_FAILURES_ADDRESS, client_address, failures_only=True),
    Rule("limit_signin_failures_per_account", SIGNIN_FAILURES_ACCOUNT, signin_account, failures_only=True),
)
REGISTER_RULES = (Rule("limit_register_per_address", REGISTER, client_address),)
UPLOAD_RULES = (Rule("limit_upload_per_account", UPLOAD_ACCOUNT, uploader),
                Rule("limit_upload_per_address", UPLOAD_ADDRESS, client_address))
PERMIT_CHECK_RULES = (Rule("limit_permit_check_per_address", PERMIT_CHECK, client_address),)
# Asking for a reset link and using one share a counter: both probe accounts (the engine caps links per account).
PASSWORD_RESET_RULES = (Rule("limit_password_reset_per_address", PASSWORD_RESET, client_address),)
# A page autosaves a form every few seconds while someone types; far more is a program writing to the database.
DRAFT_RULES = (Rule("limit_draft_per_account", DRAFT, uploader),)

# endpoint → its rules; only the method that does the work is counted (a page's GET shows the form for free).
LIMITED = {
    "auth.token": SIGNIN_RULES,
    "web.signin": SIGNIN_RULES,
    "auth.register": REGISTER_RULES,
    "web.register": REGISTER_RULES,
    "attachments.upload": UPLOAD_RULES,
    "web.upload": UPLOAD_RULES,
    "web.permit_check": PERMIT_CHECK_RULES,
    "web.permit_verify": PERMIT_CHECK_RULES,
    "web.forgot_password": PASSWORD_RESET_RULES,
    "web.reset_password": PASSWORD_RESET_RULES,
    "web.forgot_password_phone": PASSWORD_RESET_RULES,
    "web.reset_password_code": PASSWORD_RESET_RULES,
    "password_reset.request_reset": PASSWORD_RESET_RULES,
    "password_reset.confirm_reset": PASSWORD_RESET_RULES,
    "web.save_draft": DRAFT_RULES,
    "drafts.save_draft": DRAFT_RULES,
}
METHODS = {"web.permit_check": ["GET"], "web.permit_verify": ["GET", "POST"], "drafts.save_draft": ["PUT"]}


def check_settings(settings: Settings) -> None:
    """Refuse to start with a limit that does not parse, naming the setting (``ValueError``)."""
    for name in LIMIT_SETTINGS:
        try:
            parse_many(getattr(settings, name))
        except ValueError as exc:
            raise ValueError(f"LINCAH_{name.upper()} must read like '20 per minute;200 per hour': {exc}") from exc


def init_app(app: Flask, settings: Settings) -> Limiter:
    """Put the limits on ``app``'s endpoints (register the blueprints first) and answer a breach with 429.

    Each app gets its own limiter, with its own counters: two apps in one process (tests) do not share them.
    """
    check_settings(settings)
    limiter = Limiter(client_address, storage_uri=settings.rate_limit_storage, strategy=STRATEGY,
                      headers_enabled=False)
    limiter.init_app(app)
    _check_only_limited_endpoints(app, limiter)
    for endpoint, rules in LIMITED.items():
        view = app.view_functions[endpoint]
        for rule in rules:
            view = limiter.shared_limit(getattr(settings, rule.setting), scope=rule.scope, key_func=rule.key,
                                        methods=METHODS.get(endpoint, ["POST"]),
                                        deduct_when=_failed_signin if rule.failures_only else None)(view)
        app.view_functions[endpoint] = view
    app.extensions["lincah"]["limiter"] = limiter
    app.register_error_handler(RateLimitExceeded, _too_many)
    return limiter


def _check_only_limited_endpoints(app: Flask, limiter: Limiter) -> None:
    """Flask-Limiter looks up limits for every request in a before-request hook (~0.1 ms of CPU, measured on a
    worker's call). Only the endpoints in ``LIMITED`` have any — there are no default or application-wide limits —
    so every other request skips the look-up."""
    hooks = app.before_request_funcs[None]
    position = hooks.index(limiter._check_request_limit)  # noqa: SLF001 - the hook init_app registered
    check = hooks[position]

    def check_limited_endpoint() -> None:
        if request.endpoint in LIMITED:
            check()
    hooks[position] = check_limited_endpoint


def _wait_seconds() -> int:
    """Seconds until the breached counter lets the next request through."""
    current = current_app.extensions["lincah"]["limiter"].current_limit
    if current is None:
        return 60
    reset_at, _remaining = current.window
    return max(1, math.ceil(reset_at - time.time()))


_API_MESSAGES = {
    SIGNIN: "Too many sign-in attempts from your network. Wait {wait} seconds, then try again.",
    SIGNIN_FAILURES_ADDRESS: "Too many failed sign-ins from your network. Wait {wait} seconds, then try again.",
    SIGNIN_FAILURES_ACCOUNT: "Too many failed sign-ins for this account. Wait {wait} seconds, then try again, or "
                             "ask an administrator to reset the password.",
    REGISTER: "Too many accounts registered from your network. Wait {wait} seconds, then try again.",
    UPLOAD_ACCOUNT: "Too many uploads. Wait {wait} seconds, then upload the rest.",
    UPLOAD_ADDRESS: "Too many uploads from your network. Wait {wait} seconds, then upload the rest.",
    PERMIT_CHECK: "Too many permit checks from your network. Wait {wait} seconds, then try again.",
    PASSWORD_RESET: "Too many password requests from your network. Wait {wait} seconds, then try again.",
    DRAFT: "Drafts are saved far too often. Wait {wait} seconds, then save again.",
}


def _too_many(error: RateLimitExceeded):
    wait = _wait_seconds()
    scope = error.limit.scope if isinstance(error.limit.scope, str) else ""
    if request.blueprint == "web":
        response = rate_limited.answer(scope, wait)
    else:
        message = _API_MESSAGES.get(scope, "Too many requests. Wait {wait} seconds, then try again.")
        response = jsonify(error_body("too_many_attempts", message.format(wait=wait),
                                      {"retry_after": wait, "limit": str(error.limit.limit)}))
        response.status_code = 429
    response.headers["Retry-After"] = str(wait)
    return response
