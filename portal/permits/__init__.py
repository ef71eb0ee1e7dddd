"""Data permits on the portal: the back-office register (registry administrators), the public
register of permits and exceptions (fr/en), and ``flask registry permits ...``.

The permits themselves live in ``registry.permits``; this package only shows and edits them.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.cli import registry_cli
    from portal.pages import register_bilingual
    from portal.permits import public, staff
    from portal.permits.cli import permits_cli

    registry_cli.add_command(permits_cli)
    app.register_blueprint(staff.bp)
    register_bilingual(app, public.bp, url_prefix="/autorisations-d-acces")
