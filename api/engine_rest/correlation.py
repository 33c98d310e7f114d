"""``/engine-rest/message`` and ``/engine-rest/signal``: Camunda 7's correlation and broadcast, for API clients.

``POST /message`` answers 204, or with ``resultEnabled`` Camunda's list of ``MessageCorrelationResultWithVariables``
(``resultType`` ``Execution`` with the ``execution``, or ``ProcessDefinition`` with the new ``processInstance``;
``variables`` too with ``variablesInResultEnabled``). A message nobody (or, without ``all``, several) waits for is
400 ``RestException`` "Cannot correlate message …", as Camunda's REST layer answers its
``MismatchingMessageCorrelationException``. ``POST /signal`` answers 204. A body that is not a JSON object is logged
for the administrators like any other refusal, once the caller is known; the answer is the same 400.
"""

from __future__ import annotations

from engine.errors import InvalidInput, LincahError
from engine.integration import messages
from engine.integration.messages import EXECUTION, Correlated, MismatchingMessageCorrelation
from engine.integration.variables import typed_all
from engine.storage.waiting_events import MESSAGE, SIGNAL

from ..unit_of_work import engine_context, session
from . import blp, body, caller, error


@blp.errorhandler(MismatchingMessageCorrelation)
def _mismatch(exc: MismatchingMessageCorrelation):
    return error("RestException", exc.message, 400)


def _result(item: Correlated, with_variables: bool) -> dict:
    instance = item.instance
    process_instance = {
        "links": [], "id": str(instance.id), "definitionId": f"{instance.service_key}:{instance.definition_id}",
        "businessKey": instance.registration_no, "caseInstanceId": None, "ended": instance.status == "completed",
        "suspended": False, "tenantId": None,
    }
    if item.result_type == EXECUTION:
        answer = {"resultType": EXECUTION, "processInstance": None, "execution": {
            "id": item.task_id, "processInstanceId": str(instance.id), "ended": instance.status == "completed",
            "tenantId": None}}
    else:
        answer = {"resultType": item.result_type, "execution": None, "processInstance": process_instance}
    if with_variables:
        answer["variables"] = typed_all(item.variables)
    return answer


def _request(kind: str):
    """The body and the client. A body that cannot be read is logged (``messages.refused_request``) when the
    client's credentials are good; otherwise its 400 is answered as before, unlogged (nobody to name)."""
    try:
        data = body()
    except InvalidInput as exc:
        try:
            client = caller()
        except LincahError:
            raise exc from None
        raise messages.refused_request(session(), engine_context(), client, kind, exc) from exc
    return data, caller()


def _flag(data: dict, name: str) -> bool:
    return data.get(name) is True


@blp.route("/message", methods=["POST"])
def correlate():
    data, client = _request(MESSAGE)
    results = messages.correlate(
        session(), engine_context(), client, data.get("messageName"), business_key=data.get("businessKey"),
        correlation_keys=data.get("correlationKeys"), local_correlation_keys=data.get("localCorrelationKeys"),
        process_variables=data.get("processVariables"), process_variables_local=data.get("processVariablesLocal"),
        correlate_all=_flag(data, "all"))
    if not _flag(data, "resultEnabled"):
        return "", 204
    return [_result(item, _flag(data, "variablesInResultEnabled")) for item in results]


@blp.route("/signal", methods=["POST"])
def signal():
    data, client = _request(SIGNAL)
    messages.signal(session(), engine_context(), client, data.get("name"), variables=data.get("variables"))
    return "", 204
