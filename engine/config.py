"""Settings of one Lincah installation (one permit office and its regency offices).

Read once from the environment (``LINCAH_*``) or built explicitly in tests; passed around, never global.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: The checkout runs from its own top-level processes/, forms/ and migrations/ (editable install, tests, ``make run``).
#: An installed wheel has no folders beside its packages, so its build copies them into ``engine/bundled/`` (setup.py
#: says why), found from this file wherever pip put the package (a venv, ``--user``, ``--target``).
FROM_CHECKOUT = (PROJECT_ROOT / "setup.cfg").is_file()
DATA_ROOT = PROJECT_ROOT if FROM_CHECKOUT else Path(__file__).resolve().parent / "bundled"


def _default_instance_path() -> Path:
    # Installed, the instance folder is the one Flask gives an installed app (``<venv>/var/lincah-instance``),
    # not a folder inside site-packages.
    default = PROJECT_ROOT / "instance" if FROM_CHECKOUT else Path(sys.prefix) / "var" / "lincah-instance"
    return Path(os.environ.get("LINCAH_INSTANCE_PATH", default))


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
    # PostgreSQL timeouts in seconds, 0 for none (engine/storage/db.py ``Timeouts``; LINCAH_DB_*_TIMEOUT): a frozen or
    # unreachable database then costs a request seconds and a 503, not a hung worker. The statement limit is far
    # above the slowest work measured (a burst SLA pass over 100,000 open steps: about 0.5 s, README).
    db_connect_timeout: float = 5.0
    db_statement_timeout: float = 15.0
    db_lock_timeout: float = 5.0
    db_pool_timeout: float = 10.0
    # Forms referenced by a BPMN file are looked up beside it first, then here.
    forms_dir: Path = DATA_ROOT / "forms"
    processes_dir: Path = DATA_ROOT / "processes"
    script_time_limit: float = 1.0
    # Scripts and expressions that can loop or call run in worker processes with hard limits (engine/sandbox/pool.py):
    # at most this many at once per server process (LINCAH_SCRIPT_WORKERS), each with this much memory beyond its
    # start (LINCAH_SCRIPT_MEMORY_MB).
    script_workers: int = 4
    script_memory_mb: int = 128
    # Office hours, time zones and local days off per office (engine/sla/office_calendars.py); default
    # instance/calendars.toml. Without the file every office keeps the default calendar in ``timezone``.
    calendars_path: Path | None = None
    # Workflows kept in memory between an application's steps (engine/workflow/live_workflows.py); 0 switches it off.
    live_workflows: int = 256
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are believed (LINCAH_TRUSTED_PROXIES):
    # 1 behind the README's nginx; 0 (no proxy) ignores those headers, which any client can forge.
    trusted_proxies: int = 0
    # Where the rate limits count (api/rate_limits.py): memory:// counts per process; redis://host:6379 shares the
    # counts between workers and hosts (LINCAH_RATE_LIMIT_STORAGE).
    rate_limit_storage: str = "memory://"
    # Rate limits in the ``limits`` notation ("20 per minute;200 per hour"), each LINCAH_LIMIT_<NAME>; why these
    # numbers: api/rate_limits.py.
    limit_signin_per_address: str = "60 per minute;600 per hour"
    limit_signin_failures_per_address: str = "20 per minute;200 per hour"
    limit_signin_failures_per_account: str = "50 per hour"
    limit_register_per_address: str = "20 per hour;100 per day"
    limit_upload_per_account: str = "60 per minute;600 per hour"
    limit_upload_per_address: str = "120 per minute;1200 per hour"
    limit_permit_check_per_address: str = "30 per minute;300 per hour"
    # Where people open the pages (``https://izin.example.go.id``), without the trailing slash (LINCAH_PUBLIC_URL).
    # https here keeps the session cookie to https and turns HSTS on; empty is an installation reached over http.
    public_url: str = ""
    # Logging (engine/observability.py): text or json lines (LINCAH_LOG_FORMAT), lincah.* at LINCAH_LOG_LEVEL.
    log_format: str = "text"
    log_level: str = "INFO"
    # GET /metrics answers a request carrying "Authorization: Bearer <this>" (LINCAH_METRICS_TOKEN); without a token,
    # only one from this machine that no proxy forwarded (api/metrics.py).
    metrics_token: str = ""

    def __post_init__(self):
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{Path(self.instance_path) / 'lincah.db'}")
        if self.calendars_path is None:
            object.__setattr__(self, "calendars_path", Path(self.instance_path) / "calendars.toml")
        if self.log_format not in ("text", "json"):
            raise ValueError(f"LINCAH_LOG_FORMAT must be text or json, not {self.log_format!r}.")
        if self.log_level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError(f"LINCAH_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, "
                             f"not {self.log_level!r}.")

    @property
    def https(self) -> bool:
        """Whether people reach the pages over https, as the public URL says."""
        return self.public_url.lower().startswith("https://")

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
            **{name: _seconds(env, f"LINCAH_{name.upper()}", getattr(cls, name)) for name in DB_TIMEOUT_SETTINGS},
            "trusted_proxies": _count(env, "LINCAH_TRUSTED_PROXIES", cls.trusted_proxies),
            "script_workers": max(1, _count(env, "LINCAH_SCRIPT_WORKERS", cls.script_workers)),
            "script_memory_mb": max(16, _count(env, "LINCAH_SCRIPT_MEMORY_MB", cls.script_memory_mb)),
            "rate_limit_storage": env.get("LINCAH_RATE_LIMIT_STORAGE", cls.rate_limit_storage),
            **{name: env.get(f"LINCAH_{name.upper()}", getattr(cls, name)) for name in LIMIT_SETTINGS},
            "public_url": env.get("LINCAH_PUBLIC_URL", "").strip().rstrip("/"),
            "log_format": env.get("LINCAH_LOG_FORMAT", cls.log_format).strip().lower() or cls.log_format,
            "log_level": env.get("LINCAH_LOG_LEVEL", cls.log_level).strip().upper() or cls.log_level,
            "metrics_token": env.get("LINCAH_METRICS_TOKEN", "").strip(),
        }
        values.update(overrides)
        return cls(**values)


LIMIT_SETTINGS = tuple(name for name in Settings.__dataclass_fields__ if name.startswith("limit_"))


DB_TIMEOUT_SETTINGS = ("db_connect_timeout", "db_statement_timeout", "db_lock_timeout", "db_pool_timeout")


def _seconds(env, name: str, default: float) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise ValueError(f"{name} must be a number of seconds (0 for no limit), not {text!r}.")
    return value


def _count(env, name: str, default: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit():
        raise ValueError(f"{name} must be a whole number of 0 or more, not {text!r}.")
    return int(text)
