"""Words and badges the pages show for engine states: application status, stage kinds, audit events, SLA.

Kept in one place so every page says "Perlu perbaikan" for the same state; the texts are message ids translated
by the catalogs, so they are looked up per request (``lazy_gettext``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from engine.context import EngineContext
from engine.people.access import PERSON_GROUP
from engine.reporting import timeline
from engine.sla import clocks, risk
from engine.storage.models import Task

from . import i18n

STATUS = {
    timeline.IN_PROCESS: _l("In process"),
    timeline.NEEDS_ACTION: _l("Needs your revision"),
    timeline.ISSUED: _l("Issued"),
    timeline.REJECTED_STATUS: _l("Rejected"),
    timeline.CLOSED: _l("Closed"),
    timeline.CANCELLED: _l("Withdrawn"),
    timeline.ERROR: _l("Held up"),
}
STATUS_STAFF = {**STATUS, timeline.NEEDS_ACTION: _l("Waiting for the applicant")}

STAGE = {
    timeline.SUBMITTED: _l("Application submitted"),
    timeline.STEP_DONE: _l("Step completed"),
    timeline.REVISION_SENT: _l("Revision sent"),
    timeline.CURRENT: _l("In progress"),
    timeline.WAITING_FOR_APPLICANT: _l("Waiting for your revision"),
    timeline.ENDED: _l("Finished"),
    timeline.STOPPED: _l("Withdrawn"),
    timeline.FAILED: _l("Held up: the office has been told"),
    timeline.RESUMED: _l("Taken up again by the office"),
}

# Staff read the same stages about the applicant, not addressed to them.
STAGE_STAFF = {**STAGE, timeline.WAITING_FOR_APPLICANT: _l("Waiting for the applicant's revision")}

EVENT = {
    "started": _l("Application submitted"),
    "task_claimed": _l("Task claimed"),
    "task_unclaimed": _l("Task released"),
    "task_assigned": _l("Task assigned"),
    "task_completed": _l("Task completed"),
    "decision": _l("Decision"),
    "completed": _l("Application finished"),
    "cancelled": _l("Application withdrawn"),
    "error": _l("Error in a step"),
    "resumed": _l("Application resumed"),
    "timer_fired": _l("Timer fired"),
    "incident": _l("Incident: a program outside could not do the step"),
    "incident_retried": _l("Incident retried"),
    "permit_number_reserved": _l("Permit number reserved for the letter"),
    "letter_issued": _l("Permit letter stored"),
    "letter_signed": _l("Permit letter signed electronically"),
    "signing_failed": _l("Signing failed: the step stays open"),
    "message_correlated": _l("Message received from outside"),
    "message_refused": _l("Message refused: a value is not what the step expects (a payment of the wrong amount)"),
    "message_after_close": _l("Message after the file closed (a payment to refund)"),
    "bill_refused": _l("Bill refused by the bank: not issued"),
    "message_not_waiting": _l("A message from outside arrived, but the file was not waiting for it (a payment: check "
                              "it with the bank)"),
    "message_keys_mismatch": _l("A message from outside named this file, but not with the keys it waits for (a "
                                "payment: check the bill number and amount with the bank)"),
    "delivery_lost": _l("A message from outside was refused: another step took the wait at the same moment"),
    "task_lane_owners": _l("Step given by name to the people the process named (lane_owners)"),
    "lane_owners_ignored": _l("Names the process gave for a step were left out: not officers of its office"),
}

TASK_STATE = {"ready": _l("Unclaimed"), "claimed": _l("Claimed"), "completed": _l("Completed"),
              "cancelled": _l("Cancelled")}

ROLE = {"applicant": _l("Applicant"), "officer": _l("Officer"), "supervisor": _l("Supervisor"),
        "analyst": _l("Analyst"), "manager": _l("Manager"), "admin": _l("Administrator"),
        "institution": _l("Campus operator")}

# The candidate groups of the real services, as people call the ones who work them.
GROUP = {"verifier": _l("Verifier"), "head_of_office": _l("Head of office"), "front_office": _l("Front office"),
         "regency_fisheries": _l("Regency fisheries office"), "fisheries_reviewer": _l("Fisheries reviewer")}


def _from_code(code: str) -> str:
    return " ".join(part if part in ("dan",) else part.capitalize() for part in code.split("_"))


def group_name(group: str) -> str:
    """A candidate group as people read it; a group the product does not know is shown as the BPMN names it."""
    label = GROUP.get(group)
    if label is None and group.startswith(f"{PERSON_GROUP}:"):  # a step given by name (lane_owners): the person
        return group.partition(":")[2]
    return str(label) if label is not None else group.replace("_", " ")


# The offices of South Sulawesi (the default installation) by the codes applications carry; an office the table
# does not know is shown from its code ("luwu_timur" → "Luwu Timur").
_CITIES = ("makassar", "parepare", "palopo")
_REGENCIES = ("bantaeng", "barru", "bone", "bulukumba", "enrekang", "gowa", "jeneponto", "kepulauan_selayar", "luwu",
              "luwu_timur", "luwu_utara", "maros", "pangkajene_dan_kepulauan", "pinrang", "sidenreng_rappang",
              "sinjai", "soppeng", "takalar", "tana_toraja", "toraja_utara", "wajo")
OFFICE = {"sulsel": "Provinsi Sulawesi Selatan",
          **{code: f"Kota {_from_code(code)}" for code in _CITIES},
          **{code: f"Kabupaten {_from_code(code)}" for code in _REGENCIES},
          "selayar": "Kabupaten Kepulauan Selayar", "pangkep": "Kabupaten Pangkajene dan Kepulauan",
          "sidrap": "Kabupaten Sidenreng Rappang"}


def office_name(code: str | None) -> str:
    """An office (jurisdiction) as people call it: ``sinjai`` → "Kabupaten Sinjai"."""
    if not code:
        return ""
    return OFFICE.get(code) or _from_code(code)


SLA_STATE = {clocks.ON_TRACK: _l("On track"), clocks.AT_RISK: _l("At risk"), clocks.BREACHED: _l("Overdue"),
             clocks.MET: _l("Met"), clocks.MISSED: _l("Missed")}

_SEVERITY = {None: 0, clocks.ON_TRACK: 0, clocks.AT_RISK: 1, clocks.BREACHED: 2}


@dataclass
class SlaBadge:
    state: str
    label: str
    detail: str  # "3 h 20 min left" / "overdue by 1 h 5 min", in working time


def sla_badge(ctx: EngineContext, task: Task, now: datetime) -> SlaBadge | None:
    """The badge of a task: for an open one, time left or overdue; for a closed one, how long it took against
    its target (never time left). The stored state of an open task (set by the SLA clock) is raised to what the
    deadlines say now, so a badge never shows "on track" for a step whose due time has passed between two clock
    runs."""
    if task.state not in ("ready", "claimed"):
        return _closed_badge(ctx, task)
    if task.due_at is None:
        return None
    state = risk.of_task(task, now)  # at risk is read off the clock, never stored (engine.sla.risk)
    state = state if state in _SEVERITY else clocks.ON_TRACK
    live = clocks.ON_TRACK
    if task.paused_since is None:
        if task.breached_at is not None and now >= task.breached_at:
            live = clocks.BREACHED
        elif task.at_risk_at is not None and now >= task.at_risk_at:
            live = clocks.AT_RISK
    if _SEVERITY[live] > _SEVERITY[state]:
        state = live
    calendar = clocks.calendar_of(ctx, task.sla_calendar, task.jurisdiction)
    if now < task.due_at:
        left = calendar.working_time_between(now, task.due_at)
        detail = _l("%(time)s left", time=i18n.working_span(left, calendar.day_length))
    else:
        late = calendar.working_time_between(task.due_at, now)
        detail = _l("overdue by %(time)s", time=i18n.working_span(late, calendar.day_length))
    if task.paused_since is not None:
        detail = _l("paused while the applicant revises")
    return SlaBadge(state, str(SLA_STATE[state]), str(detail))


def _closed_badge(ctx: EngineContext, task: Task) -> SlaBadge | None:
    """The outcome of a closed step's SLA: the working time it took (pauses excluded) and whether that was within
    its target; None for a step without a target."""
    if task.sla_target_seconds is None or task.completed_at is None and task.working_seconds is None:
        return None
    calendar = clocks.calendar_of(ctx, task.sla_calendar, task.jurisdiction)
    if task.working_seconds is not None:
        taken = timedelta(seconds=task.working_seconds)
    else:
        taken = clocks.worked(calendar, task.created_at, task.completed_at, task.paused_seconds, task.paused_since)
    state = task.sla_state if task.sla_state in (clocks.MET, clocks.MISSED) else clocks.verdict(True, taken,
                                                                                       task.sla_target_seconds)
    time = i18n.working_span(taken, calendar.day_length)
    label = (_l("Completed in %(time)s", time=time) if task.state == "completed"
             else _l("Closed after %(time)s", time=time))
    detail = _l("within target") if state == clocks.MET else _l("over target")
    return SlaBadge(state, str(label), str(detail))


TEMPLATE_GLOBALS = {"STATUS": STATUS, "STATUS_STAFF": STATUS_STAFF, "STAGE": STAGE, "STAGE_STAFF": STAGE_STAFF,
                    "EVENT": EVENT, "TASK_STATE": TASK_STATE, "ROLE": ROLE, "SLA_STATE": SLA_STATE}
