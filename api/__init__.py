"""Lincah's HTTP API (Flask + flask-smorest). ``create_app()`` is the WSGI application factory."""

from .app import create_app

__all__ = ["create_app"]
