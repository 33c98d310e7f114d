"""The deployment files in deploy/ (systemd units, nginx, Dockerfile, compose) are read as their tools would: every
command and option they run exists, every ``LINCAH_*`` variable is a real setting with a value Lincah accepts, and
nginx admits the bodies the app accepts and forwards the headers the app believes."""

from __future__ import annotations

import configparser
import json
import re
import shlex
from pathlib import Path

import click
import pytest
import yaml

from api.app import MAX_CONTENT_LENGTH
from api.cli import main
from api.web.views.model_upload import FOLDER_BODY_BYTES
from engine.config import SECRET_PREFIX, SETTINGS, Settings
from tests.conftest import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
KNOWN = {setting.env for setting in SETTINGS if not setting.env.endswith("<NAME>")}


def _check_lincah_command(argv: list[str]) -> None:
    """``lincah SUB [options]``: SUB exists and every option given is one of its own."""
    assert Path(argv[0]).name == "lincah", argv
    command = main
    args = argv[1:]
    while isinstance(command, click.Group):
        assert args and args[0] in command.commands, f"lincah has no command {args[:1]}"
        command, args = command.commands[args[0]], args[1:]
    options = {name for param in command.params for name in param.opts}
    given = [arg for arg in args if arg.startswith("--")]
    assert set(given) <= options, f"lincah {command.name} has no option {set(given) - options}"
    # click itself parses the whole line: values of the right type, nothing missing.
    command.make_context(command.name, list(args), resilient_parsing=False)


def _unit(name: str) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read(DEPLOY / "systemd" / name)
    return unit


@pytest.mark.parametrize("name", ["lincah-web.service", "lincah-scheduler.service"])
def test_the_systemd_units_run_real_commands_from_the_shared_env_file(name):
    unit = _unit(name)
    assert set(unit.sections()) == {"Unit", "Service", "Install"}
    service = unit["Service"]
    _check_lincah_command(shlex.split(service["ExecStart"]))
    assert service["EnvironmentFile"] == "/etc/lincah/lincah.env" and service["User"] == "lincah"
    assert service["Restart"] == "on-failure"
    # The instance folder is the only place the service writes, and it is LINCAH_INSTANCE_PATH in the env file.
    assert service["ReadWritePaths"] == _env_file()["LINCAH_INSTANCE_PATH"]


def _env_file() -> dict[str, str]:
    pairs = [line.split("=", 1) for line in (DEPLOY / "lincah.env.example").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    return {key: value for key, value in pairs}


def test_the_env_file_sets_only_real_settings_with_values_lincah_accepts(monkeypatch):
    env = _env_file()
    assert set(env) <= KNOWN, f"not settings: {set(env) - KNOWN}"
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings.from_env()
    assert settings.attachment_store == "database" and settings.trusted_proxies == 1
    assert settings.database_url.startswith("postgresql+psycopg://")


def _nginx_directives(name: str) -> list[list[str]]:
    text = re.sub(r"#.*", "", (DEPLOY / "nginx" / name).read_text())
    return [statement.split() for statement in re.split(r"[;{}]", text) if statement.strip()]


@pytest.mark.parametrize("name", ["lincah.conf", "compose.conf"])
def test_nginx_admits_what_the_app_accepts_compresses_and_forwards_what_the_app_believes(name):
    directives = _nginx_directives(name)
    text = (DEPLOY / "nginx" / name).read_text()
    assert text.count("{") == text.count("}")
    (size,) = [d[1] for d in directives if d[0] == "client_max_body_size"]
    assert int(size.rstrip("m")) * 1024 * 1024 >= max(MAX_CONTENT_LENGTH, FOLDER_BODY_BYTES)
    assert ["gzip", "on"] in directives
    headers = {d[1]: d[2] for d in directives if d[0] == "proxy_set_header"}
    # ProxyFix (LINCAH_TRUSTED_PROXIES=1) reads these: the client's address and whether the page was https.
    assert headers["X-Forwarded-For"] == "$remote_addr" and headers["X-Forwarded-Proto"] == "$scheme"
    assert headers["Host"] == "$host"
    upstreams = [d[1] for d in directives if d[0] == "server" and len(d) > 1 and ":" in d[1]]
    assert len(upstreams) == 2 and all(u.endswith(":8000") for u in upstreams)


def test_the_web_unit_listens_where_nginx_sends():
    argv = shlex.split(_unit("lincah-web.service")["Service"]["ExecStart"])
    assert argv[argv.index("--port") + 1] == "8000"


def test_compose_runs_two_app_hosts_and_two_schedulers_on_postgresql():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"db", "migrate", "web-a", "web-b", "scheduler-a", "scheduler-b", "proxy"} <= set(services)
    for name in ("migrate", "web-a", "web-b", "scheduler-a", "scheduler-b"):
        service = services[name]
        assert set(service["environment"]) <= KNOWN, name
        assert service["environment"]["LINCAH_ATTACHMENT_STORE"] == "database"
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        if "command" in service and service["command"][0] == "lincah":
            _check_lincah_command(service["command"])
    for step in services["migrate"]["command"][-1].split("&&"):
        _check_lincah_command(shlex.split(step))
    proxy_conf = services["proxy"]["volumes"][0].split(":")[0]
    assert (DEPLOY / proxy_conf).resolve() == (DEPLOY / "nginx" / "compose.conf").resolve()


def test_the_container_starts_lincah_serve_with_real_options():
    lines = (DEPLOY / "Dockerfile").read_text().splitlines()
    (cmd,) = [line for line in lines if line.startswith("CMD ")]
    _check_lincah_command(json.loads(cmd[len("CMD "):]))
    # Nothing fetched at run time: every package comes in at build time.
    assert any(line.startswith("RUN pip install") for line in lines)
    assert any("npm ci" in line for line in lines)


def test_no_secret_is_given_by_a_prefix_lincah_does_not_read():
    # LINCAH_SECRET_<NAME> are connector secrets; the env file must not use the prefix for anything else.
    assert not [key for key in _env_file() if key.startswith(SECRET_PREFIX)]
