"""Lincah's own worker: the HTTP connector (``camunda:connector`` ``http-connector``), run by the scheduler.

Its tasks are external tasks of the reserved topic ``lincah:http-connector`` (``engine.bpmn.connector``), so they
share the outbox, the locks, the retries and the incidents of any worker's. One round is three moves, and no
transaction is open while the request travels:

1. :func:`claim` locks a batch (``FOR UPDATE SKIP LOCKED``) and evaluates each element's ``url``, ``method``,
   ``headers`` and ``payload`` over the task's data, in the sandbox;
2. :func:`send` checks the host against the installation's allow-list and the addresses it resolves to
   (``engine.integration.connector_guard``), puts the secrets in, and sends it — no redirects, a time limit,
   a bounded answer;
3. :func:`record` completes the task with the output mapping (``${statusCode}``, ``${response["id"]}``, a
   script), as a worker's completion (validated, one step, audited); or counts a retry down, with a back-off that
   doubles (``retry_at``), until the task is an incident on the application.

Which failures are retried is a payment integration's rule, not a detail. A 5xx, 408 or 429 answer, a timeout or
a connection error is *transient*: the other side is down, busy or slow, and the same request may well succeed in a
minute, so it is retried with a back-off that doubles (a gateway that is down is not hammered; the application
waits without anyone's help). Any other 4xx is the other side's *refusal* of this request — a payer's data it does
not accept, a merchant account it suspended, a token it does not know: sending the same request again gets the
same answer (and for a bill, hammering a bank with requests it refuses may lock the merchant account), so it is
not retried. As Camunda's connector does, the answer still goes to the output mapping (a diagram may map
``${statusCode}`` and decide for itself); when the mapping cannot read it, the step is an incident at once, named
as the refusal with the server's own reason. A person deals with the cause and retries the step (a new request).
When the refused step is the one asking for the service's bill, the application records the refused bill and the
office is told (``engine.casework.bills.gateway_refused``).

A refused host, an unknown secret, an expression or a mapping that fails is an incident at once too: trying again
cannot help. Secrets are named in the diagram (``${secret:NAME}``) and substituted in memory: a value from the
application's data can never become one (the marker is a random token per request), the answer is cleaned of them
before it is mapped, and error texts are cleaned before they are stored — no secret reaches the task data, the
audit or a log line.
"""

from __future__ import annotations

import os
import re
import secrets as random_tokens
import socket
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import orjson
import urllib3
from sqlalchemy.orm import Session

from engine.bpmn.connector import HTTP_CONNECTOR, TOPIC, connector_settings
from engine.bpmn.expressions import juel_to_python
from engine.casework import bills
from engine.integration import external_tasks
from engine.integration.clients import Caller
from engine.integration.connector_guard import ConnectorSettings, Refused
from engine.integration.external_tasks import TopicRequest
from engine.integration.variables import typed_all
from engine.storage.models import ExternalTask, Instance

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

CALLER = Caller("lincah.http-connector", frozenset({TOPIC}), frozenset(), frozenset())
WORKER = f"lincah-http-connector@{socket.gethostname()}:{os.getpid()}"
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
RETRY_STATUSES = {408, 429}  # 4xx that say "not now" (timeout, rate limit), not "no": transient, like a 5xx
MAX_BACKOFF = 3600.0

_SECRET = re.compile(r"\$\{\s*secret:([A-Za-z_][A-Za-z0-9_]*)\s*\}")
_PLACE = re.compile(r"\$\{(.*?)\}", re.S)
_WHOLE = re.compile(r"^\s*\$\{(.*)\}\s*$", re.S)
_CHARSET = re.compile(r"charset=\"?([A-Za-z0-9._-]+)", re.I)


@dataclass
class Request:
    """One claimed task and the request it makes; secrets still as this request's random markers."""

    task_id: str
    element_id: str
    retries: int | None
    variables: dict
    outputs: dict
    method: str = "GET"
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: str | bytes | None = None
    markers: dict[str, str] = field(default_factory=dict)  # marker -> secret name
    problem: str | None = None  # refused before sending: an incident


@dataclass(frozen=True)
class Outcome:
    status: int | None = None
    headers: dict = field(default_factory=dict)
    text: str = ""
    error: str | None = None
    details: str | None = None
    retryable: bool = False
    sent: bool = False


# --- 1. claim ---------------------------------------------------------------------------------------------------

def claim(session: Session, ctx: EngineContext, settings: ConnectorSettings, *, limit: int = 10) -> list[Request]:
    """Lock up to ``limit`` connector tasks and prepare their requests (nothing is sent here)."""
    lock_ms = int(max(60.0, settings.timeout * 3) * 1000)
    locked = external_tasks.fetch_and_lock(session, ctx, CALLER, WORKER, limit, [TopicRequest(TOPIC, lock_ms)])
    prepared = []
    for item in locked:
        if session.get(Instance, item.row.instance_id).status != "running":
            continue  # stopped meanwhile by another branch: the lock runs out, a person decides first
        prepared.append(_prepare(session, ctx, item.row))
    return prepared


def _prepare(session: Session, ctx: EngineContext, row: ExternalTask) -> Request:
    config = connector_settings(external_tasks.spec_of(session, ctx, row)) or {}
    data = dict(row.variables or {})
    request = Request(row.id, row.element_id, row.retries, data, config.get("outputs") or {})
    if config.get("id") != HTTP_CONNECTOR:
        request.problem = (f"Step {row.element_id!r} names the connector {config.get('id')!r}; Lincah runs "
                           f"{HTTP_CONNECTOR!r} only.")
        return request
    inputs = config.get("inputs") or {}
    try:
        request.url = _text(_value(ctx, inputs.get("url"), data, request.markers), "url")
        request.method = _text(_value(ctx, inputs.get("method"), data, request.markers) or "GET", "method").upper()
        if request.method not in METHODS:
            raise ValueError(f"method {request.method!r} is not one of {', '.join(sorted(METHODS))}")
        headers = _value(ctx, inputs.get("headers"), data, request.markers) or {}
        if not isinstance(headers, dict):
            raise ValueError("headers must be a map of names to texts")
        request.headers = {str(name): str(value) for name, value in headers.items()}
        payload = _value(ctx, inputs.get("payload"), data, request.markers)
        if payload is not None and not isinstance(payload, str | bytes):
            payload = orjson.dumps(payload)
            request.headers.setdefault("Content-Type", "application/json")
        request.body = payload
    except Exception as exc:  # noqa: BLE001 - whatever the diagram's expression raised, the step cannot be sent
        request.problem = f"The HTTP connector of step {row.element_id!r} could not be prepared: {exc}"
    return request


def _text(value, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a text")
    return value


def _evaluate(ctx: EngineContext, expression: str, data: dict):
    return ctx.script_engine.environment.evaluate(juel_to_python("${" + expression + "}"), dict(data))


def _template(ctx: EngineContext, text: str, data: dict, markers: dict[str, str] | None):
    """A parameter's text: one ``${…}`` is its value (any type), several are put into the text; ``${secret:N}``
    becomes this request's marker for N (``markers`` None: secrets are not allowed here)."""

    def secret(match: re.Match) -> str:
        if markers is None:
            raise ValueError("a secret may be sent in a request, not taken into the application's data")
        marker = f"lincah-secret-{random_tokens.token_hex(16)}"
        markers[marker] = match.group(1)
        return marker

    text = _SECRET.sub(secret, text)
    whole = _WHOLE.match(text)
    if whole and "${" not in whole.group(1):
        return _evaluate(ctx, whole.group(1), data)

    def place(match: re.Match) -> str:
        value = _evaluate(ctx, match.group(1), data)
        return value if isinstance(value, str) else orjson.dumps(value).decode()

    return _PLACE.sub(place, text)


def _value(ctx: EngineContext, spec: dict | None, data: dict, markers: dict[str, str] | None):
    if spec is None:
        return None
    if "map" in spec:
        return {key: _template(ctx, text, data, markers) for key, text in spec["map"].items()}
    if "list" in spec:
        return [_template(ctx, text, data, markers) for text in spec["list"]]
    if "script" in spec:
        if spec.get("format") not in ("python", ""):
            raise ValueError(f"a {spec['format']} script cannot run in Lincah; write it in Python")
        return _script(ctx, spec["script"], data)
    return _template(ctx, spec.get("text", ""), data, markers) if spec.get("text") else None


def _script(ctx: EngineContext, script: str, data: dict):
    """A Python expression's value; a longer script sets ``result``."""
    try:
        compile(script, "<connector>", "eval")
    except SyntaxError:
        scope = dict(data)
        ctx.script_engine.environment.execute(script, scope)
        if "result" not in scope:
            raise ValueError("a script of more than one expression must set the variable result") from None
        return scope["result"]
    return ctx.script_engine.environment.evaluate(script, dict(data))


# --- 2. send ----------------------------------------------------------------------------------------------------

def _unseal(value, request: Request, settings: ConnectorSettings):
    if value is None or not request.markers:
        return value
    binary = isinstance(value, bytes)
    text = value.decode("utf-8") if binary else value
    for marker, name in request.markers.items():
        if marker in text:
            text = text.replace(marker, settings.secret(name))
    return text.encode("utf-8") if binary else text


def redact(text: str | None, request: Request, settings: ConnectorSettings) -> str | None:
    """``text`` without the values of the secrets ``request`` names (nor its markers)."""
    if not text:
        return text
    for marker, name in request.markers.items():
        text = text.replace(marker, f"${{secret:{name}}}")
        value = settings.secrets.get(name)
        if value:
            text = text.replace(value, f"${{secret:{name}}}")
    return text


def send(request: Request, settings: ConnectorSettings) -> Outcome:
    """Send the request if its host and addresses are allowed; what came back (or why nothing did)."""
    if request.problem:
        return Outcome(error=request.problem)
    try:
        url = _unseal(request.url, request, settings)
        headers = {name: _unseal(value, request, settings) for name, value in request.headers.items()}
        body = _unseal(request.body, request, settings)
        target = settings.check(url)
    except Refused as exc:
        return Outcome(error=redact(str(exc), request, settings))
    default_port = target.port == (443 if target.scheme == "https" else 80)
    headers.setdefault("Host", target.host if default_port else f"{target.host}:{target.port}")
    headers.setdefault("User-Agent", "Lincah-HTTP-connector")
    timeout = urllib3.Timeout(total=settings.timeout)
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(target.address, target.port, timeout=timeout, retries=False,
                                           cert_reqs="CERT_REQUIRED", server_hostname=target.host,
                                           assert_hostname=target.host)
    else:
        pool = urllib3.HTTPConnectionPool(target.address, target.port, timeout=timeout, retries=False)
    where = f"{target.host}:{target.port}"
    try:
        with pool:
            response = pool.urlopen(request.method, target.path, body=body, headers=headers, redirect=False,
                                    retries=False, assert_same_host=False, preload_content=False)
            content = response.read(settings.max_response_bytes + 1)
            response.release_conn()
    except urllib3.exceptions.TimeoutError:
        return Outcome(error=f"{where} did not answer within {settings.timeout:g} s.", retryable=True, sent=True)
    except urllib3.exceptions.HTTPError as exc:
        return Outcome(error=redact(f"Could not reach {where}: {exc}", request, settings), retryable=True,
                       sent=True)
    if len(content) > settings.max_response_bytes:
        return Outcome(error=f"The answer of {where} is larger than {settings.max_response_bytes} bytes.",
                       sent=True)
    charset = _CHARSET.search(response.headers.get("content-type", ""))
    try:
        text = content.decode(charset.group(1) if charset else "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        text = content.decode("utf-8", errors="replace")
    text = redact(text, request, settings) or ""
    answer = {name.lower(): redact(value, request, settings) for name, value in response.headers.items()}
    # Transient: retried with back-off. Any other answer — a refusing 4xx included — goes to the output mapping.
    if response.status >= 500 or response.status in RETRY_STATUSES:
        return Outcome(response.status, answer, text, error=f"{where} answered HTTP {response.status}.",
                       details=text[:4000], retryable=True, sent=True)
    return Outcome(response.status, answer, text, sent=True)


# --- 3. record --------------------------------------------------------------------------------------------------

def _response_value(outcome: Outcome):
    if outcome.text and "json" in outcome.headers.get("content-type", ""):
        try:
            return orjson.loads(outcome.text)
        except orjson.JSONDecodeError:
            return outcome.text
    return outcome.text


def mapped(ctx: EngineContext, request: Request, outcome: Outcome) -> dict:
    """The output parameters' values over the answer: ``response`` (JSON decoded when the answer says it is
    JSON), ``responseText``, ``statusCode`` and ``headers`` (lower-case names), besides the task's data."""
    scope = {**request.variables, "response": _response_value(outcome), "responseText": outcome.text,
             "statusCode": outcome.status, "headers": dict(outcome.headers)}
    values = {}
    for name, spec in request.outputs.items():
        value = _value(ctx, spec, scope, None)
        orjson.dumps(value)  # only JSON values become process data
        values[name] = value
    return values


def backoff(settings: ConnectorSettings, left: int) -> float:
    """Seconds before the next attempt: ``backoff`` after the first failure, doubled after each further one."""
    failures = max(1, settings.retries - left)
    return min(settings.backoff * 2 ** (failures - 1), MAX_BACKOFF)


def refusal(outcome: Outcome) -> bool:
    """A 4xx the server means as "no" (not 408/429, which mean "not now"): not retried automatically."""
    return outcome.status is not None and 400 <= outcome.status < 500 and outcome.status not in RETRY_STATUSES


def record(session: Session, ctx: EngineContext, request: Request, outcome: Outcome,
           settings: ConnectorSettings) -> str:
    """Complete the task with the mapped answer, or count a retry down (at 0: an incident). Returns what
    happened: ``completed``, ``retrying`` or ``incident``. A refusal the mapping cannot read is an incident at
    once, with the server's reason (and a refused bill request is recorded as such on the application)."""
    reason = None
    if outcome.error is None:
        try:
            values = mapped(ctx, request, outcome)
        except Exception as exc:  # noqa: BLE001 - a mapping that fails on this answer would fail on the next
            if refusal(outcome):
                reason = bills.reason_of(_response_value(outcome), outcome.text)
                error = (f"The server refused the request of step {request.element_id!r} with HTTP "
                         f"{outcome.status}: {reason}. It is not sent again by itself: deal with the cause, then "
                         "retry the step.")
                details = f"{outcome.text[:4000]}\n\n(The output mapping could not read this answer: {exc})"
            else:
                error = (f"The output mapping of step {request.element_id!r} failed on the answer HTTP "
                         f"{outcome.status}: {exc}")
                details = outcome.text[:4000]
            outcome = Outcome(outcome.status, outcome.headers, outcome.text, details=details,
                              error=redact(error, request, settings))
        else:
            external_tasks.complete(session, ctx, CALLER, request.task_id, WORKER, typed_all(values))
            return "completed"
    left = 0
    if outcome.retryable:
        left = max(0, (request.retries if request.retries is not None else settings.retries) - 1)
    told = False
    if reason is not None:  # a refusal, never resent by itself: the incident below is certain
        instance = session.get(Instance, session.get(ExternalTask, request.task_id).instance_id)
        # The bill request's refusal tells the supervisors what the bank said and what to do; the incident's own
        # "application stopped" notice would only repeat half of it.
        told = bills.gateway_refused(session, ctx, instance, element_id=request.element_id, outputs=request.outputs,
                                     status=outcome.status, reason=redact(reason, request, settings) or "-",
                                     actor=CALLER.actor, external_task=request.task_id)
    external_tasks.handle_failure(session, ctx, CALLER, request.task_id, WORKER,
                                  error_message=redact(outcome.error, request, settings),
                                  error_details=redact(outcome.details, request, settings), retries=left,
                                  retry_timeout_ms=int(backoff(settings, left) * 1000), told=told)
    return "retrying" if left else "incident"
