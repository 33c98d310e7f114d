"""Tables, sessions and SQL: how the engine keeps its data (models, database engines and timeouts, prepared
statements, row locks for periodic jobs, the audit log, readiness checks)."""

import engine.storage.heartbeat  # noqa: F401 - its table belongs to the one schema (Base.metadata)
from engine.storage import waiting_events  # noqa: F401 - its table belongs to the one schema (Base.metadata)
