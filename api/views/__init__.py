"""HTTP endpoints, one blueprint per area, all under /api/v1."""

from __future__ import annotations

from . import (
    admin_refusals,
    applications,
    attachments,
    auth,
    counter,
    definitions,
    drafts,
    groups,
    health,
    institutions,
    integration,
    migrations,
    notifications,
    password_reset,
    reports,
    services,
    tasks,
    users,
)

BLUEPRINTS = (auth.blp, services.blp, definitions.blp, applications.blp, tasks.blp, users.blp, groups.blp,
              attachments.blp, reports.blp, notifications.blp, health.blp, integration.clients_blp,
              integration.incidents_blp, migrations.blp, drafts.blp, institutions.blp, password_reset.blp,
              counter.blp, admin_refusals.blp)
