"""The citizen journeys: understand, file (for oneself or as a proxy), my space, change,
withdraw, re-file, receipts. Served in French at / and in English under /en/."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from portal.pages import add_navigation, register_bilingual


def init_app(app: Flask) -> None:
    from portal.citizen import filing  # noqa: F401  (its routes join the blueprint)
    from portal.citizen.views import bp

    register_bilingual(app, bp)
    add_navigation(app, "citizen.understand", _l("Comprendre"))
    add_navigation(app, "citizen.my_space", _l("Mon espace"))
