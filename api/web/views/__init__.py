"""The pages, one module per kind of visitor. Importing this package attaches their routes to ``web.bp``."""

from __future__ import annotations

from . import (
    account,
    admin,
    admin_clients,
    admin_groups,
    admin_institutions,
    admin_offices,
    admin_outbox,
    analyst,
    applicant,
    bills,
    campus,
    counter,
    decision_tables,
    dmn_modeler,
    drafts,
    files,
    incidents,
    letter_editor,
    live_lint,
    manager,
    model_upload,
    notify_settings,
    password_reset,
    permits,
    public,
    satisfaction,
    short_links,
    versions,
    work,
)

__all__ = ["account", "admin", "admin_clients", "admin_groups", "admin_institutions", "admin_offices",
           "admin_outbox", "analyst",
           "applicant", "bills", "campus", "counter", "decision_tables", "dmn_modeler", "drafts", "files", "incidents",
           "letter_editor", "live_lint", "manager",
           "model_upload", "notify_settings", "password_reset", "permits", "public", "satisfaction", "short_links",
           "versions", "work"]
