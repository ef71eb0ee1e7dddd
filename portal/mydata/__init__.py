"""« Mes données »: a logged-in citizen downloads everything the registry holds about them and
the people they act for (JSON and PDF), and can delete their account while their oppositions
stay in force."""

from __future__ import annotations

from flask import Flask

from portal.pages import register_bilingual


def init_app(app: Flask) -> None:
    from portal.mydata.views import bp

    register_bilingual(app, bp)
