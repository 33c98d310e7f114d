"""WSGI entry point for production servers: ``gunicorn -w 4 api.wsgi:app`` (settings from ``LINCAH_*``)."""

import gc

from engine.config import Settings
from engine.observability import configure_logging

from .app import create_app

settings = Settings.from_env()
configure_logging(settings.log_format, settings.log_level)  # before the app: its start-up lines are formatted too
app = create_app(settings=settings)
# Startup's objects live as long as the worker: keep the garbage collector from walking them on every full
# collection (see api/server.py). With gunicorn --preload this also keeps the forked workers' pages shared.
gc.freeze()
