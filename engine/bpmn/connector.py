"""Camunda's HTTP connector on a service task, read into the spec: the work Lincah's own worker does.

    <bpmn:serviceTask id="bill" name="Minta tagihan">
      <bpmn:extensionElements><camunda:connector>
        <camunda:inputOutput>
          <camunda:inputParameter name="url">https://gateway.example/bills</camunda:inputParameter>
          <camunda:inputParameter name="method">POST</camunda:inputParameter>
          <camunda:inputParameter name="headers"><camunda:map>
            <camunda:entry key="Authorization">Bearer ${secret:GATEWAY_TOKEN}</camunda:entry></camunda:map>
          </camunda:inputParameter>
          <camunda:inputParameter name="payload">${bill_request}</camunda:inputParameter>
          <camunda:outputParameter name="bill_id">${response["id"]}</camunda:outputParameter>
        </camunda:inputOutput>
        <camunda:connectorId>http-connector</camunda:connectorId>
      </camunda:connector></bpmn:extensionElements>
    </bpmn:serviceTask>

The element becomes an external task of the reserved topic :data:`TOPIC` (``engine.bpmn.external``), so it goes
through the same outbox, locks, retries and incidents as a worker's; the scheduler is its worker
(``engine.integration.http_connector``). Each parameter is kept as ``{"text": …}``, ``{"map": {…}}``,
``{"list": […]}`` or ``{"script": …}``; expressions are evaluated when the request is made, in the sandbox.
"""

from __future__ import annotations

TOPIC = "lincah:http-connector"  # reserved: no API client may be granted it (engine.integration.clients)
SETTINGS = "lincah:connector"
HTTP_CONNECTOR = "http-connector"
RESERVED_PREFIX = "lincah:"


def _value(node) -> dict:
    """One ``camunda:inputParameter``/``outputParameter``: text, a map, a list or a script."""
    for child in node:
        if not isinstance(child.tag, str):
            continue
        kind = child.tag.rsplit("}", 1)[-1]
        if kind == "map":
            return {"map": {entry.get("key"): (entry.text or "").strip() for entry in child
                            if isinstance(entry.tag, str) and entry.tag.endswith("entry")}}
        if kind == "list":
            return {"list": [(item.text or "").strip() for item in child if isinstance(item.tag, str)]}
        if kind == "script":
            return {"script": (child.text or "").strip(), "format": (child.get("scriptFormat") or "").lower()}
    return {"text": (node.text or "").strip()}


def read(parser) -> dict | None:
    """The connector settings of the element ``parser`` reads, or ``None`` when it has no ``camunda:connector``:
    ``{"id": connectorId, "inputs": {name: value}, "outputs": {name: value}}``."""
    found = parser.xpath("./bpmn:extensionElements/camunda:connector")
    if not found:
        return None
    node = found[0]
    ids = parser._xpath(node, "./camunda:connectorId")
    settings = {"id": (ids[0].text or "").strip() if ids else "", "inputs": {}, "outputs": {}}
    for kind, key in (("inputParameter", "inputs"), ("outputParameter", "outputs")):
        for item in parser._xpath(node, f"./camunda:inputOutput/camunda:{kind}"):
            settings[key][item.get("name")] = _value(item)
    return settings


def connector_settings(spec) -> dict | None:
    """The connector settings kept on a task spec, or ``None``."""
    return (getattr(spec, "extensions", None) or {}).get(SETTINGS)
