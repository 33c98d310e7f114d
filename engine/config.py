"""Settings of one Lincah installation (one permit office and its regency offices).

Read once from the environment (``LINCAH_*``) or built explicitly in tests; passed around, never global.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_instance_path() -> Path:
    return Path(os.environ.get("LINCAH_INSTANCE_PATH", PROJECT_ROOT / "instance"))


@dataclass(frozen=True)
class Settings:
    database_url: str = ""
    instance_path: Path = field(default_factory=_default_instance_path)
    # The office code is the first part of every registration number.
    office_code: str = "DPMPTSP-SULSEL"
    timezone: str = "Asia/Makassar"
    default_jurisdiction: str = "sulsel"
    registration_pattern: str = "{office}/{service}/{yyyy}/{seq:05d}"
    max_bpmn_bytes: int = 5 * 1024 * 1024
    max_form_bytes: int = 512 * 1024
    # Forms referenced by a BPMN file are looked up beside it first, then here.
    forms_dir: Path = PROJECT_ROOT / "forms"
    processes_dir: Path = PROJECT_ROOT / "processes"
    script_time_limit: float = 1.0
    # Office hours, time zones and local days off per office (engine/office_calendars.py); default
    # instance/calendars.toml. Without the file every office keeps the default calendar in ``timezone``.
    calendars_path: Path | None = None
    # Workflows kept in memory between an application's steps (engine/live_workflows.py); 0 switches it off.
    live_workflows: int = 256

    def __post_init__(self):
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{Path(self.instance_path) / 'lincah.db'}")
        if self.calendars_path is None:
            object.__setattr__(self, "calendars_path", Path(self.instance_path) / "calendars.toml")

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        env = os.environ
        values = {
            "database_url": env.get("LINCAH_DATABASE_URL", ""),
            "office_code": env.get("LINCAH_OFFICE_CODE", cls.office_code),
            "timezone": env.get("LINCAH_TIMEZONE", cls.timezone),
            "default_jurisdiction": env.get("LINCAH_DEFAULT_JURISDICTION", cls.default_jurisdiction),
            "registration_pattern": env.get("LINCAH_REGISTRATION_PATTERN", cls.registration_pattern),
            "calendars_path": Path(env["LINCAH_CALENDARS"]) if env.get("LINCAH_CALENDARS") else None,
            "live_workflows": _count(env, "LINCAH_LIVE_WORKFLOWS", cls.live_workflows),
        }
        values.update(overrides)
        return cls(**values)


def _count(env, name: str, default: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit():
        raise ValueError(f"{name} must be a whole number of 0 or more, not {text!r}.")
    return int(text)
