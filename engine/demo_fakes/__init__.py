"""Stand-ins for the systems the fishery business permit talks to, for ``lincah fakes`` and the tests.

Real HTTP servers on 127.0.0.1 (a thread each), speaking the way the real systems do, so that the service's
external-task worker, HTTP connector and message callback run unchanged against them:

- :class:`~engine.demo_fakes.registry.FakeRegistry` — a population registry (*Dukcapil*) answering
  ``GET /nik/{nik}`` with the person's name and regency, or 404;
- :class:`~engine.demo_fakes.gateway.FakeGateway` — a regional bank's payment gateway: ``POST /bills`` issues a
  virtual-account bill, ``POST /bills/{id}/pay`` pays it and calls Lincah's ``POST /engine-rest/message`` back with
  ``payment_received`` for the bill's reference (the registration number), as the bank's callback would.

Neither imports the rest of the engine: they are outside systems, and only talk to Lincah over HTTP.
"""

from engine.demo_fakes.gateway import FakeGateway
from engine.demo_fakes.registry import PEOPLE, FakeRegistry

__all__ = ["PEOPLE", "FakeGateway", "FakeRegistry"]
