"""One settings object, read once: `lincah config` shows it, secrets masked; the README table is made from it."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from api.cli import main as cli
from api.config_cli import reference
from engine.config import SETTINGS, Settings
from engine.messaging.mail import MailSettings
from engine.sla.clocks import SlaPolicy
from tests.conftest import PROJECT_ROOT

SECRETS = {"LINCAH_SMTP_PASSWORD": "smtp-pass-31", "LINCAH_SECRET_KEY": "cookie-key-77",
           "LINCAH_METRICS_TOKEN": "scrape-token-5", "LINCAH_SECRET_PAYMENT_API": "bank-key-9",
           "LINCAH_DATABASE_URL": "postgresql+psycopg://lincah:db-pass-13@db.internal/lincah"}


@pytest.fixture
def environment(monkeypatch):
    for setting in SETTINGS:
        monkeypatch.delenv(setting.env, raising=False)
    return monkeypatch


def test_lincah_config_prints_every_setting_with_secrets_masked(environment):
    for name, value in {**SECRETS, "LINCAH_SMTP_HOST": "mail.example.go.id", "LINCAH_SLA_AT_RISK": "80%"}.items():
        environment.setenv(name, value)
    result = CliRunner().invoke(cli, ["config"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()}
    assert set(lines) == {setting.env for setting in SETTINGS}
    for secret in ("smtp-pass-31", "cookie-key-77", "scrape-token-5", "bank-key-9", "db-pass-13"):
        assert secret not in result.output
    assert "********  (environment)" in lines["LINCAH_SMTP_PASSWORD"]
    assert "PAYMENT_API=********" in lines["LINCAH_SECRET_<NAME>"]
    assert "postgresql+psycopg://lincah:***@db.internal/lincah" in lines["LINCAH_DATABASE_URL"]
    assert "mail.example.go.id  (environment)" in lines["LINCAH_SMTP_HOST"]
    assert "0.8  (environment)" in lines["LINCAH_SLA_AT_RISK"]
    assert "(not set)  (default)" in lines["LINCAH_PUBLIC_URL"] and "INFO  (default)" in lines["LINCAH_LOG_LEVEL"]


def test_a_value_it_cannot_read_stops_lincah_config_naming_the_variable(environment):
    environment.setenv("LINCAH_SMTP_STARTTLS", "kadang")
    result = CliRunner().invoke(cli, ["config"])
    assert result.exit_code == 2 and "LINCAH_SMTP_STARTTLS must be 1 or 0" in result.output
    assert "Traceback" not in result.output


def test_mail_sla_and_connector_settings_come_from_the_one_object(environment):
    for name, value in {**SECRETS, "LINCAH_SMTP_HOST": "mail.example.go.id", "LINCAH_SMTP_PORT": "587",
                        "LINCAH_SMTP_STARTTLS": "yes", "LINCAH_MAIL_FROM": "DPMPTSP <izin@example.go.id>",
                        "LINCAH_PUBLIC_URL": "https://izin.example.go.id/", "LINCAH_SLA_AT_RISK": "0.6",
                        "LINCAH_CONNECTOR_ALLOWED_HOSTS": "pay.example.co.id", "LINCAH_CONNECTOR_RETRIES": "5"}.items():
        environment.setenv(name, value)
    settings = Settings.from_env()
    mail = MailSettings.from_settings(settings)
    assert (mail.host, mail.port, mail.starttls, mail.password, mail.sender, mail.public_url) == (
        "mail.example.go.id", 587, True, "smtp-pass-31", "DPMPTSP <izin@example.go.id>", "https://izin.example.go.id")
    assert SlaPolicy.from_settings(settings).at_risk_share == 0.6
    assert settings.secret_key == "cookie-key-77" and settings.metrics_token == "scrape-token-5"
    # LINCAH_SECRET_KEY is the session key, not a connector secret named KEY
    assert settings.connector_secret_values == {"PAYMENT_API": "bank-key-9"}
    connector = settings.connector_environment()
    assert connector["LINCAH_CONNECTOR_ALLOWED_HOSTS"] == "pay.example.co.id"
    assert connector["LINCAH_CONNECTOR_RETRIES"] == "5" and connector["LINCAH_SECRET_PAYMENT_API"] == "bank-key-9"
    assert {"smtp_host", "sla_at_risk", "secret_key"} <= settings.from_environment
    assert "timezone" not in settings.from_environment


def test_the_readme_settings_table_is_the_generated_reference():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert reference() in readme, "the README's settings table is out of date: run `lincah config --write-readme " \
                                  "README.md`"
    for setting in SETTINGS:
        assert f"| `{setting.env}` |" in readme
