"""Everything an engine operation needs besides the database session: settings, clock, codec, sandbox.

The context sits above the engine's packages (engine/__init__.py gives the order): it assembles their parts, and
the packages name ``EngineContext`` only in type hints, so building one never imports in a circle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from engine.bpmn.compiler import CompileOptions
from engine.clock import SystemClock
from engine.config import Settings
from engine.documents import letter_trial
from engine.sandbox import create_script_engine, shared_pool
from engine.sla.calendar import parse_sla_duration
from engine.sla.clocks import SlaPolicy
from engine.sla.office_calendars import OfficeCalendars
from engine.workflow.live_workflows import LiveWorkflows
from engine.workflow.serialization import StateCodec


@dataclass
class EngineContext:
    settings: Settings = field(default_factory=Settings.from_env)
    clock: object = field(default_factory=SystemClock)
    codec: StateCodec = field(default_factory=StateCodec)
    script_engine: object = None
    # Share of a target after which a step is "at risk"; read from the environment if not given.
    sla_policy: SlaPolicy = None
    # The workflows of applications stepped in this process, reused by their next step
    # (engine/workflow/live_workflows.py).
    live: LiveWorkflows = None

    def __post_init__(self):
        if self.live is None:
            self.live = LiveWorkflows(self.settings.live_workflows)
        if self.script_engine is None:
            pool = shared_pool(size=self.settings.script_workers,
                               memory_limit=self.settings.script_memory_mb * 2**20)
            self.script_engine = create_script_engine(
                time_limit=self.settings.script_time_limit, pool=pool, clock=lambda: self.clock.now(),
                timezone=self.settings.timezone, calendars=self.settings.calendars_path)
        if self.sla_policy is None:
            self.sla_policy = SlaPolicy.from_settings(self.settings)

    def now(self):
        return self.clock.now()

    @cached_property
    def calendars(self) -> OfficeCalendars:
        """Each office's working calendar, read once from the settings."""
        return OfficeCalendars(self.settings.calendars_path, self.settings.timezone)

    @property
    def working_calendar(self):
        """The default office's working calendar (an office's own: ``calendars.working(jurisdiction)``)."""
        return self.calendars.working(None)

    def due_at(self, start, sla: str | None, calendar: str | None = None, jurisdiction: str | None = None):
        """When a step of ``jurisdiction`` started at ``start`` with target ``sla`` is due: working time on that
        office's calendar unless ``calendar=24x7``."""
        if not sla:
            return None
        if (calendar or "").replace("calendar=", "") == "24x7":
            return self.calendars.plain(jurisdiction).add_working_time(start, sla)
        return self.calendars.working(jurisdiction).add_working_time(start, sla)

    def try_letter(self, files, compiled, problems) -> None:
        """Fill a service's letter template once with sample data, bounded, as lint and deploy do: the letter is
        ``engine.documents``' (``letter_trial``), a package above the ``services`` that lint and deploy are in."""
        letter_trial.check(self, files, compiled, problems)

    def compile_options(self) -> CompileOptions:
        return CompileOptions(timezone=self.settings.timezone, max_bytes=self.settings.max_bpmn_bytes,
                              sla_parser=parse_sla_duration)
