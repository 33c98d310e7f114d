"""Settings of one Lincah installation (one permit office and its regency offices).

Read once from the environment (``LINCAH_*``) by :meth:`Settings.from_env`, or built explicitly in tests; passed
around, never global. No other module reads a setting from the environment: :data:`SETTINGS` has one row per
variable (field, variable, how its text is read, whether it is a secret, what it does), from which ``lincah config``
prints the effective values (secrets masked) and the README's settings table is generated.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
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
    return PROJECT_ROOT / "instance" if FROM_CHECKOUT else Path(sys.prefix) / "var" / "lincah-instance"


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
    # Each step drops the finished tasks of earlier passes through a loop before saving (engine/workflow/compaction.py),
    # so a step's cost and the stored state stay flat in a file's history; off keeps SpiffWorkflow's whole tree.
    compact_history: bool = True
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
    limit_password_reset_per_address: str = "5 per minute;30 per hour"
    limit_draft_per_account: str = "120 per minute;2400 per hour"
    # Where people open the pages (``https://izin.example.go.id``), without the trailing slash (LINCAH_PUBLIC_URL).
    # https here keeps the session cookie to https and turns HSTS on; empty is an installation reached over http.
    public_url: str = ""
    # Logging (engine/observability.py): text or json lines (LINCAH_LOG_FORMAT), lincah.* at LINCAH_LOG_LEVEL.
    log_format: str = "text"
    attachment_store: str = "auto"
    log_level: str = "INFO"
    # GET /metrics answers a request carrying "Authorization: Bearer <this>" (LINCAH_METRICS_TOKEN); without a token,
    # only one from this machine that no proxy forwarded (api/observability.py).
    metrics_token: str = ""
    # prometheus_client's own multiprocess folder (PROMETHEUS_MULTIPROC_DIR), read by that library at import.
    metrics_multiproc_dir: str = ""
    # E-mail (engine/messaging/mail.py): without an SMTP host notifications stay in the app.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_timeout: float = 10.0
    mail_from: str = "Lincah DPM-PTSP <noreply@localhost>"
    # SMS and WhatsApp through the office's HTTP gateway (engine/messaging/channels.py): without a URL that channel is
    # off and applicants who chose it get e-mail. The body is JSON with {phone} (E.164) and {text} filled in; the
    # auth header's value is the connector secret named here (LINCAH_SECRET_<NAME>).
    sms_gateway_url: str = ""
    sms_gateway_body: str = '{"to": "{phone}", "text": "{text}"}'
    sms_gateway_auth_header: str = "Authorization"
    sms_gateway_secret: str = ""
    whatsapp_gateway_url: str = ""
    whatsapp_gateway_body: str = '{"to": "{phone}", "type": "text", "text": "{text}"}'
    whatsapp_gateway_auth_header: str = "Authorization"
    whatsapp_gateway_secret: str = ""
    gateway_timeout: float = 10.0
    # Signs the session cookie (api/web/setup.py); empty: one generated once and kept in the instance folder.
    secret_key: str = ""
    # Older installations' switch: Secure session cookie behind an https proxy without a public URL.
    secure_cookies: bool = False
    # Share of a step's SLA target after which it is "at risk" (engine/sla/clocks.py).
    sla_at_risk: float = 0.75
    # Form drafts (engine/casework/drafts.py): kept this many days after the last save; the owner is told this many
    # days before one goes.
    draft_lifetime_days: int = 30
    draft_notice_days: int = 3
    # Working hours a step may wait in an office where nobody can work it before it goes to the supervising office's
    # queue (engine/casework/handover.py); 0 hands it over at the scheduler's next pass.
    unstaffed_handover_hours: int = 4
    # The HTTP connector (engine/integration/connector_guard.py checks and reads these).
    connector_allowed_hosts: str = ""
    connector_allowed_networks: str = ""
    connector_secrets_file: str = ""
    connector_timeout: float = 10.0
    connector_retries: int = 3
    connector_backoff: float = 30.0
    connector_secret_values: dict = field(default_factory=dict, repr=False, compare=False)
    # Electronic signatures on permit letters (engine/documents/signing): the office's PKCS#12 certificate, its
    # passphrase as the name of a LINCAH_SECRET_<NAME> variable, a timestamp authority; or the national BSrE service.
    signing_pkcs12: str = ""
    signing_passphrase_secret: str = ""
    signing_tsa_url: str = ""
    # The certificates the verification page trusts (office CA, BSrE root): PEM/DER files, comma-separated.
    signing_trust_roots: str = ""
    # An analyst's letter template renders in a child process with these limits (engine/documents/bounded_call.py).
    letter_render_seconds: float = 30.0
    bsre_url: str = ""
    bsre_user: str = ""
    bsre_password: str = field(default="", repr=False)
    # Names of the fields the environment set (``lincah config`` shows where a value came from).
    from_environment: frozenset = field(default_factory=frozenset, repr=False, compare=False)

    def __post_init__(self):
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{Path(self.instance_path) / 'lincah.db'}")
        if self.calendars_path is None:
            object.__setattr__(self, "calendars_path", Path(self.instance_path) / "calendars.toml")
        if self.attachment_store not in ("auto", "database", "folder"):
            raise ValueError("LINCAH_ATTACHMENT_STORE must be auto, database or folder, not "
                             f"{self.attachment_store!r}.")
        if self.log_format not in ("text", "json"):
            raise ValueError(f"LINCAH_LOG_FORMAT must be text or json, not {self.log_format!r}.")
        if self.log_level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError(f"LINCAH_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, "
                             f"not {self.log_level!r}.")

    @property
    def https(self) -> bool:
        """Whether people reach the pages over https, as the public URL says."""
        return self.public_url.lower().startswith("https://")

    def connector_environment(self) -> dict[str, str]:
        """The HTTP connector's variables as the environment gave them (its own module parses and checks them)."""
        values = {"LINCAH_CONNECTOR_ALLOWED_HOSTS": self.connector_allowed_hosts,
                  "LINCAH_CONNECTOR_ALLOWED_NETWORKS": self.connector_allowed_networks,
                  "LINCAH_CONNECTOR_SECRETS": self.connector_secrets_file,
                  "LINCAH_CONNECTOR_TIMEOUT": str(self.connector_timeout),
                  "LINCAH_CONNECTOR_RETRIES": str(self.connector_retries),
                  "LINCAH_CONNECTOR_BACKOFF": str(self.connector_backoff)}
        values.update({f"{SECRET_PREFIX}{name}": value for name, value in self.connector_secret_values.items()})
        return values

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        """The settings the environment gives (each :data:`SETTINGS` row), then ``overrides``.

        Raises ``ValueError`` naming the variable when a value cannot be read.
        """
        env = os.environ
        values, given = {}, set()
        for setting in SETTINGS:
            if setting.env.endswith("<NAME>"):
                prefix = setting.env[:-len("<NAME>")]
                found = {key[len(prefix):]: value for key, value in env.items()
                         if key.startswith(prefix) and len(key) > len(prefix) and key not in _NAMED}
                if found:
                    values[setting.field], _ = found, given.add(setting.field)
                continue
            text = env.get(setting.env, "").strip()
            if text:
                values[setting.field] = setting.parse(text, setting.env)
                given.add(setting.field)
        values["from_environment"] = frozenset(given)
        values.update(overrides)
        return cls(**values)


@dataclass(frozen=True)
class Setting:
    """One row of the settings reference: a field, the variable that sets it, how its text is read, whether it is a
    secret (``lincah config`` masks it), and what it does (the README's table is made from these rows)."""

    field: str
    env: str
    parse: Callable[[str, str], object]
    description: str
    secret: bool = False
    default_text: str | None = None  # when the default is worked out rather than fixed


def _text(text: str, _name: str) -> str:
    return text


def _url(text: str, _name: str) -> str:
    return text.rstrip("/")


def _path(text: str, _name: str) -> Path:
    return Path(text)


def _upper(text: str, _name: str) -> str:
    return text.upper()


def _lower(text: str, _name: str) -> str:
    return text.lower()


def _seconds(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise ValueError(f"{name} must be a number of seconds (0 for no limit), not {text!r}.")
    return value


def _count(text: str, name: str) -> int:
    if not text.isdigit():
        raise ValueError(f"{name} must be a whole number of 0 or more, not {text!r}.")
    return int(text)


def _at_least(least: int):
    def parse(text: str, name: str) -> int:
        return max(least, _count(text, name))
    return parse


def _flag(text: str, name: str) -> bool:
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be 1 or 0 (true/false, yes/no), not {text!r}.")


def _share(text: str, name: str) -> float:
    raw = text.rstrip("%").strip()
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if text.endswith("%") or value > 1:
        value /= 100
    if not 0 < value <= 1:
        raise ValueError(f"{name} must be a share of the target such as 0.75 or 75%, not {text!r}.")
    return value


SECRET_PREFIX = "LINCAH_SECRET_"

#: Every setting, in the order the README's reference lists them (``lincah config --reference`` prints it).
SETTINGS: tuple[Setting, ...] = (
    Setting("database_url", "LINCAH_DATABASE_URL", _text, "SQLAlchemy URL of the database "
            "(`postgresql+psycopg://user:password@host/name` in production); the password is masked by `lincah "
            "config`.", default_text="SQLite file `lincah.db` in the instance folder"),
    Setting("instance_path", "LINCAH_INSTANCE_PATH", _path, "Folder of the SQLite file, attachments, the generated "
            "secret key and `calendars.toml`.", default_text="`instance/` of the checkout; "
            "`<venv>/var/lincah-instance` when installed"),
    Setting("office_code", "LINCAH_OFFICE_CODE", _text, "First part of every registration number."),
    Setting("timezone", "LINCAH_TIMEZONE", _text, "Time zone of the default office calendar."),
    Setting("default_jurisdiction", "LINCAH_DEFAULT_JURISDICTION", _text, "Office that holds an application "
            "when its service's office rule names none."),
    Setting("registration_pattern", "LINCAH_REGISTRATION_PATTERN", _text, "How registration numbers are written."),
    Setting("calendars_path", "LINCAH_CALENDARS", _path, "Offices' hours, time zones and local days off (TOML).",
            default_text="`calendars.toml` in the instance folder"),
    Setting("live_workflows", "LINCAH_LIVE_WORKFLOWS", _count, "Applications whose workflow a server process keeps "
            "in memory for their next step (about 100 KB each); 0 restores every step from the database. `lincah "
            "scheduler` keeps none unless this is set."),
    Setting("compact_history", "LINCAH_COMPACT_HISTORY", _flag, "Drop the finished tasks of earlier passes "
            "through a loop from an application's workflow at every step (1/0), so a step's cost and the stored "
            "state do not grow with its history."),
    Setting("script_workers", "LINCAH_SCRIPT_WORKERS", _at_least(1), "Sandbox worker processes per server "
            "process for diagram scripts."),
    Setting("script_memory_mb", "LINCAH_SCRIPT_MEMORY_MB", _at_least(16), "Memory each sandbox worker may use "
            "beyond its start, in MB."),
    Setting("db_connect_timeout", "LINCAH_DB_CONNECT_TIMEOUT", _seconds, "PostgreSQL connect timeout, seconds "
            "(0: none)."),
    Setting("db_statement_timeout", "LINCAH_DB_STATEMENT_TIMEOUT", _seconds, "PostgreSQL statement timeout, "
            "seconds (0: none); migrations run without it."),
    Setting("db_lock_timeout", "LINCAH_DB_LOCK_TIMEOUT", _seconds, "PostgreSQL lock timeout, seconds (0: none)."),
    Setting("db_pool_timeout", "LINCAH_DB_POOL_TIMEOUT", _seconds, "Longest wait for a free pooled connection, "
            "seconds."),
    Setting("public_url", "LINCAH_PUBLIC_URL", _url, "Address people open the pages at; links in e-mails, and "
            "https turns on the `__Host-` Secure cookie and HSTS. `lincah serve --host H --port P` uses "
            "`http://H:P` when unset.", default_text="none"),
    Setting("trusted_proxies", "LINCAH_TRUSTED_PROXIES", _count, "Reverse proxies in front whose X-Forwarded-* "
            "headers are believed (1 behind one nginx)."),
    Setting("rate_limit_storage", "LINCAH_RATE_LIMIT_STORAGE", _text, "Where rate limits count: `memory://` per "
            "process, `redis://host:6379` shared."),
    *(Setting(name, f"LINCAH_{name.upper()}", _text, f"Rate limit: {name[len('limit_'):].replace('_', ' ')} "
              "(`api/rate_limits.py` says why).")
      for name in ("limit_signin_per_address", "limit_signin_failures_per_address",
                   "limit_signin_failures_per_account", "limit_register_per_address", "limit_upload_per_account",
                   "limit_upload_per_address", "limit_permit_check_per_address",
                   "limit_password_reset_per_address", "limit_draft_per_account")),
    Setting("sla_at_risk", "LINCAH_SLA_AT_RISK", _share, "Share of a step's SLA target after which it is at risk "
            "(`0.75` or `75%`)."),
    Setting("draft_lifetime_days", "LINCAH_DRAFT_LIFETIME_DAYS", _at_least(1), "Days an unsent form's draft is "
            "kept after its last save."),
    Setting("draft_notice_days", "LINCAH_DRAFT_NOTICE_DAYS", _count, "Days before a draft goes that its owner is "
            "told (0: no notice)."),
    Setting("unstaffed_handover_hours", "LINCAH_UNSTAFFED_HANDOVER_HOURS", _count, "Working hours a step waits in "
            "an office where nobody can work it before it goes to the supervising office's queue (the province)."),
    Setting("smtp_host", "LINCAH_SMTP_HOST", _text, "SMTP server for e-mail; without it notifications stay in the "
            "app.", default_text="none"),
    Setting("smtp_port", "LINCAH_SMTP_PORT", _count, "SMTP port."),
    Setting("smtp_user", "LINCAH_SMTP_USER", _text, "SMTP user name.", default_text="none"),
    Setting("smtp_password", "LINCAH_SMTP_PASSWORD", _text, "SMTP password.", secret=True, default_text="none"),
    Setting("smtp_starttls", "LINCAH_SMTP_STARTTLS", _flag, "STARTTLS on the SMTP connection (1/0)."),
    Setting("smtp_ssl", "LINCAH_SMTP_SSL", _flag, "SMTP over TLS from the start (1/0)."),
    Setting("smtp_timeout", "LINCAH_SMTP_TIMEOUT", _seconds, "SMTP timeout, seconds."),
    Setting("mail_from", "LINCAH_MAIL_FROM", _text, "Sender of e-mails."),
    *(setting for channel, label in (("sms", "SMS"), ("whatsapp", "WhatsApp")) for setting in (
        Setting(f"{channel}_gateway_url", f"LINCAH_{channel.upper()}_GATEWAY_URL", _url, f"{label} gateway: the URL "
                f"notices are POSTed to; without it applicants who chose {label} get e-mail.", default_text="none"),
        Setting(f"{channel}_gateway_body", f"LINCAH_{channel.upper()}_GATEWAY_BODY", _text, f"{label} gateway: the "
                "JSON body, `{phone}` (E.164, +62…) and `{text}` filled in."),
        Setting(f"{channel}_gateway_auth_header", f"LINCAH_{channel.upper()}_GATEWAY_AUTH_HEADER", _text,
                f"{label} gateway: the header that carries its key."),
        Setting(f"{channel}_gateway_secret", f"LINCAH_{channel.upper()}_GATEWAY_SECRET", _text, f"{label} gateway: "
                "the NAME of the connector secret (`LINCAH_SECRET_<NAME>`) sent in that header.",
                default_text="none"))),
    Setting("gateway_timeout", "LINCAH_GATEWAY_TIMEOUT", _seconds, "SMS/WhatsApp gateway timeout, seconds; failures "
            "are retried with the e-mail backoff."),
    Setting("secret_key", "LINCAH_SECRET_KEY", _text, "Signs the session cookie; set the same on every host.",
            secret=True, default_text="generated once into `secret_key` in the instance folder"),
    Setting("secure_cookies", "LINCAH_SECURE_COOKIES", _flag, "Older switch: Secure session cookie behind an https "
            "proxy; set LINCAH_PUBLIC_URL instead."),
    Setting("log_format", "LINCAH_LOG_FORMAT", _lower, "`text`, or `json` (one object per line)."),
    Setting("attachment_store", "LINCAH_ATTACHMENT_STORE", _lower, "Where uploaded documents' bytes live: "
            "`database` (every app host serves every document), `folder` (the instance folder of one host), or "
            "`auto`: the database on PostgreSQL, the folder on SQLite."),
    Setting("log_level", "LINCAH_LOG_LEVEL", _upper, "Level of Lincah's own loggers."),
    Setting("metrics_token", "LINCAH_METRICS_TOKEN", _text, "Bearer token `GET /metrics` requires; without it only "
            "unproxied requests from this machine are answered.", secret=True, default_text="none"),
    Setting("metrics_multiproc_dir", "PROMETHEUS_MULTIPROC_DIR", _text, "prometheus_client's folder for counts "
            "shared by gunicorn's workers (empty it before every start).", default_text="none"),
    Setting("connector_allowed_hosts", "LINCAH_CONNECTOR_ALLOWED_HOSTS", _text, "Hosts the HTTP connector may call "
            "(`pay.example.co.id`, `*.bank.example`, `gw.example:8443`).", default_text="none"),
    Setting("connector_allowed_networks", "LINCAH_CONNECTOR_ALLOWED_NETWORKS", _text, "Private networks (CIDR) an "
            "allowed host may resolve to.", default_text="none"),
    Setting("connector_secrets_file", "LINCAH_CONNECTOR_SECRETS", _text, "TOML file of `NAME = \"value\"` "
            "secrets for `${secret:NAME}`.", default_text="none"),
    Setting("connector_secret_values", f"{SECRET_PREFIX}<NAME>", _text, "One connector secret each (wins over "
            "the file).", secret=True, default_text="none"),
    Setting("connector_timeout", "LINCAH_CONNECTOR_TIMEOUT", _seconds, "HTTP connector timeout, seconds."),
    Setting("connector_retries", "LINCAH_CONNECTOR_RETRIES", _at_least(1), "HTTP connector attempts."),
    Setting("connector_backoff", "LINCAH_CONNECTOR_BACKOFF", _seconds, "Seconds before the connector's first retry "
            "(doubled each time)."),
    Setting("signing_pkcs12", "LINCAH_SIGNING_PKCS12", _text, "The office's certificate and key (PKCS#12 file) "
            "that signs permit letters (PAdES).", default_text="none: letters are not signed (after `lincah demo`: its "
            "DEMO certificate)"),
    Setting("signing_passphrase_secret", "LINCAH_SIGNING_PASSPHRASE_SECRET", _text, "Name of the "
            "`LINCAH_SECRET_<NAME>` variable that holds the PKCS#12 passphrase.", default_text="none"),
    Setting("signing_tsa_url", "LINCAH_SIGNING_TSA_URL", _url, "Timestamp authority (RFC 3161) for the "
            "signature's trusted time.", default_text="none"),
    Setting("signing_trust_roots", "LINCAH_SIGNING_TRUST_ROOTS", _text, "Certificate files (PEM or DER, "
            "comma-separated) of the CAs whose signatures the verification page calls trusted: the office CA, the "
            "BSrE root.", default_text="none: no signature is called trusted"),
    Setting("letter_render_seconds", "LINCAH_LETTER_RENDER_SECONDS", _seconds, "Time limit, seconds, for "
            "rendering one permit letter (a template that loops or prints without end is stopped and named)."),
    Setting("bsre_url", "LINCAH_BSRE_URL", _url, "BSrE eSign API base URL: letters are signed with the signer's "
            "own certificate (NIK + passphrase at the signing step); wins over the PKCS#12 file.",
            default_text="none"),
    Setting("bsre_user", "LINCAH_BSRE_USER", _text, "The application's BSrE account (HTTP Basic).",
            default_text="none"),
    Setting("bsre_password", "LINCAH_BSRE_PASSWORD", _text, "Password of that account.", secret=True,
            default_text="none"),
)

# LINCAH_SECRET_KEY is the session key, not a connector secret named KEY.
_NAMED = frozenset(setting.env for setting in SETTINGS)

LIMIT_SETTINGS = tuple(name for name in Settings.__dataclass_fields__ if name.startswith("limit_"))


DB_TIMEOUT_SETTINGS = ("db_connect_timeout", "db_statement_timeout", "db_lock_timeout", "db_pool_timeout")
