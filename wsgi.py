"""Entry point for WSGI servers and the ``flask`` command: ``flask --app wsgi ...``."""

from portal import create_app

app = create_app()
