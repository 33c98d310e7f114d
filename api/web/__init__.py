"""The web pages: applicants on their phones, officers at their desks, administrators — served by the same Flask
app as the API, rendered on the server (Jinja), enhanced by a little JavaScript (htmx, bpmn-js) where present.

``register_web(app)`` attaches them; ``forms`` is the one form renderer every page uses.
"""

from .setup import register_web

__all__ = ["register_web"]
