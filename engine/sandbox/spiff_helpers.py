"""spiff-arena's script helpers: the ones Lincah can give safely, and the ones it refuses at lint.

spiff-arena's scripts call functions its server provides. Here a script sees only its own task's data and the
engine's clock, so only helpers that need nothing else are given — and they never reveal anything about other
people than what the file already holds:

* ``get_process_initiator_user()`` — the applicant of this file: ``{"username", "display_name"}``, read from the
  file's own ``application`` facts (the applicant account's username and name, stored when the file started — no
  account is looked up from a script); a file started before the name was stored gives the name on its start form,
  else the username;
* ``get_localtime(when, timezone)`` — an ISO date-time (as ``now()`` gives it) in the named time zone, as ISO text.

The others (:data:`REFUSED`) would look up other users, groups, URLs, permissions or the server's state; a diagram
calling one is refused at deploy with the element and the helper named (``engine.bpmn.spiff_flavour``), instead of
failing with a ``NameError`` when a file reaches it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.texts import N_

SUPPORTED = ("get_process_initiator_user", "get_localtime")

# What each refused helper would need, said to the analyst (a catalogue text: the lint problem's reason).
_PEOPLE = N_("it would reveal other users of the server; a step's people are chosen by its lane or candidate groups")
_SERVER = N_("scripts here see only the file's own data; put what the script needs into the process data")
_LINKS = N_("links to steps are made by Lincah's pages and notifications, not by scripts")
_PERMISSIONS = N_("permissions are given by administrators on Lincah's pages, not by scripts")
REFUSED = {
    "get_current_user": _PEOPLE, "get_group_members": _PEOPLE, "get_last_user_completing_task": _PEOPLE,
    "get_user_properties": _PEOPLE, "set_user_properties": _PEOPLE, "get_all_permissions": _PERMISSIONS,
    "add_permission": _PERMISSIONS, "refresh_permissions": _PERMISSIONS, "user_has_permission": _PERMISSIONS,
    "get_current_task_info": _SERVER, "get_current_task_data": _SERVER, "get_toplevel_process_info": _SERVER,
    "get_process_info": _SERVER, "get_data_sizes": _SERVER, "get_encoded_file_data": _SERVER,
    "get_secret": _SERVER, "get_env": _SERVER, "get_task_data_value": _SERVER,
    "delete_process_instances_with_criteria": _SERVER, "get_frontend_url": _LINKS,
    "get_url_for_task_with_bpmn_identifier": _LINKS, "get_markdown_file_download_link": _LINKS,
    "markdown_file_download_link": _LINKS,
}


# A file started before its facts carried the account's name: the person named on its start form (the fields the
# office's inbox reads the applicant's name from), else the username.
_FORM_NAME_FIELDS = ("full_name", "applicant_name", "name")


def _display_name(application, variables: dict) -> str | None:
    """The applicant's name as the file holds it: the account's (``application.applicant_name``, set when the
    file starts), or for older files the name on the start form; ``None`` when the file names nobody."""
    candidates = [application.get("applicant_name")] if isinstance(application, dict) else []
    if not (isinstance(application, dict) and "applicant_name" in application):
        candidates += [variables.get(field) for field in _FORM_NAME_FIELDS]
    return next((value.strip() for value in candidates if isinstance(value, str) and value.strip()), None)


def helpers(variables: dict[str, Any]) -> dict[str, Callable[..., Any]]:
    """The supported helpers for one evaluation over ``variables`` (the task data the script runs on)."""
    application = variables.get("application")
    applicant = application.get("applicant") if isinstance(application, dict) else None
    if not isinstance(applicant, str):
        applicant = variables.get("applicant") if isinstance(variables.get("applicant"), str) else None
    display_name = _display_name(application, variables)

    def get_process_initiator_user() -> dict:
        if applicant is None:
            raise ValueError("get_process_initiator_user(): this file has no applicant in its data")
        return {"username": applicant, "display_name": display_name or applicant}

    def get_localtime(when: str, timezone: str) -> str:
        if not isinstance(when, str):
            raise ValueError("get_localtime() takes a date and time as text, e.g. now(), not "
                             f"{type(when).__name__}")
        try:
            moment = datetime.fromisoformat(when)
            zone = ZoneInfo(timezone) if isinstance(timezone, str) else None
        except (ValueError, ZoneInfoNotFoundError):
            zone = moment = None
        if moment is None or zone is None:
            raise ValueError(f"get_localtime() takes a date and time such as '2026-06-02T09:00:00+08:00' and a time "
                             f"zone such as 'Asia/Makassar', not {when!r} and {timezone!r}")
        aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return aware.astimezone(zone).isoformat(timespec="seconds")

    return {"get_process_initiator_user": get_process_initiator_user, "get_localtime": get_localtime}
