"""WSGI entry point for production servers: ``gunicorn -w 4 api.wsgi:app`` (settings from ``LINCAH_*``)."""

from .app import create_app

app = create_app()
