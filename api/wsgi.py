"""WSGI entry point for production servers: ``gunicorn -w 4 api.wsgi:app`` (settings from ``LINCAH_*``)."""

import gc

from .app import create_app

app = create_app()
# Startup's objects live as long as the worker: keep the garbage collector from walking them on every full
# collection (see api/server.py). With gunicorn --preload this also keeps the forked workers' pages shared.
gc.freeze()
