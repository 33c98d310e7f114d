"""A broken office calendars file stops ``lincah serve`` and ``create_app()`` at start, naming the file and the
mistake, instead of surfacing at the first SLA deadline; a valid file starts them with its offices' calendars."""

from __future__ import annotations

import socket
from datetime import date

import pytest
from click.testing import CliRunner

from api import cli as lincah
from api import create_app
from engine.config import Settings
from engine.context import EngineContext

VALID = '[office.sinjai]\ndays_off = {2026-02-27 = "Hari Jadi Kabupaten Sinjai"}\n'
TYPO = "[office.sinjai]\ndays_of = [2026-02-27]\n"


def _calendars_file(tmp_path, text: str):
    path = tmp_path / "instance" / "calendars.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _serve(tmp_path, monkeypatch):
    """``lincah serve --no-scheduler`` up to the point gunicorn would take over; the app it would have served."""
    served = {}
    monkeypatch.setattr(lincah, "run_server", lambda make_app, host, port, threads: served.update(app=make_app()))
    env = {"LINCAH_DATABASE_URL": f"sqlite:///{tmp_path / 'lincah.db'}",
           "LINCAH_INSTANCE_PATH": str(tmp_path / "instance"), "LINCAH_CALENDARS": None, "LINCAH_TIMEZONE": None}
    with socket.socket() as probe:  # a port nothing listens on: serve checks that it is free
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return CliRunner().invoke(lincah.main, ["serve", "--no-scheduler", "--port", str(port)], env=env), served


def _context(tmp_path) -> EngineContext:
    return EngineContext(settings=Settings(database_url="sqlite://", instance_path=tmp_path / "instance"))


def test_serve_refuses_to_start_on_a_broken_calendars_file_and_says_where(tmp_path, monkeypatch):
    path = _calendars_file(tmp_path, TYPO)
    result, served = _serve(tmp_path, monkeypatch)
    assert result.exit_code == 1 and served == {}
    assert f"Error: {path}: [office.sinjai]: unknown calendar setting(s) days_of" in result.output
    assert "lincah calendar check" in result.output
    assert "Traceback" not in result.output


def test_serve_names_a_calendars_file_that_is_not_toml(tmp_path, monkeypatch):
    path = _calendars_file(tmp_path, "[office.sinjai\n")
    result, served = _serve(tmp_path, monkeypatch)
    assert result.exit_code == 1 and served == {}
    assert f"Error: {path}: not valid TOML" in result.output


def test_serve_starts_with_a_valid_calendars_file(tmp_path, monkeypatch):
    _calendars_file(tmp_path, VALID)
    result, served = _serve(tmp_path, monkeypatch)
    assert result.exit_code == 0, result.output
    assert served["app"].extensions["lincah"]["ctx"].calendars.offices == ["sinjai"]


def test_create_app_refuses_a_broken_calendars_file(tmp_path, db):
    path = _calendars_file(tmp_path, TYPO)
    with pytest.raises(ValueError) as refused:
        create_app({"TESTING": True}, context=_context(tmp_path), session_factory=db.factory)
    assert str(refused.value).startswith(f"{path}: [office.sinjai]: unknown calendar setting(s) days_of")


def test_create_app_starts_with_a_valid_calendars_file(tmp_path, db):
    _calendars_file(tmp_path, VALID)
    app = create_app({"TESTING": True}, context=_context(tmp_path), session_factory=db.factory)
    calendars = app.extensions["lincah"]["ctx"].calendars
    assert calendars.offices == ["sinjai"]
    assert calendars.settings("sinjai").reasons == {date(2026, 2, 27): "Hari Jadi Kabupaten Sinjai"}
