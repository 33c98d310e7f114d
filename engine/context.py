"""Everything an engine operation needs besides the database session: settings, clock, codec, sandbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from .clock import SystemClock
from .config import Settings
from .serialization import StateCodec


@dataclass
class EngineContext:
    settings: Settings = field(default_factory=Settings.from_env)
    clock: object = field(default_factory=SystemClock)
    codec: StateCodec = field(default_factory=StateCodec)
    script_engine: object = None
    # engine.sla.SlaPolicy (share of a target after which a step is "at risk"); read from the environment if not given.
    sla_policy: object = None

    def __post_init__(self):
        if self.script_engine is None:
            from .sandbox import create_script_engine

            self.script_engine = create_script_engine(time_limit=self.settings.script_time_limit)
        if self.sla_policy is None:
            from .sla import SlaPolicy

            self.sla_policy = SlaPolicy.from_env()

    def now(self):
        return self.clock.now()

    @cached_property
    def working_calendar(self):
        from .calendar import WorkingCalendar

        return WorkingCalendar(timezone=self.settings.timezone)

    def due_at(self, start, sla: str | None, calendar: str | None = None):
        """When a step started at ``start`` with target ``sla`` (working time unless ``calendar=24x7``) is due."""
        if not sla:
            return None
        if (calendar or "").replace("calendar=", "") == "24x7":
            from .calendar import TwentyFourSeven

            return TwentyFourSeven(timezone=self.settings.timezone).add_working_time(start, sla)
        return self.working_calendar.add_working_time(start, sla)

    def compile_options(self):
        from .bpmn.compiler import CompileOptions
        from .calendar import parse_sla_duration

        return CompileOptions(timezone=self.settings.timezone, max_bytes=self.settings.max_bpmn_bytes,
                              sla_parser=parse_sla_duration)
