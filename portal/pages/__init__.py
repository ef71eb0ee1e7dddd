"""Public pages, served in French at / and in English under /en/."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template, url_for
from flask_babel import get_locale

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    return render_template("pages/home.html")


def localized_url(endpoint: str, **values) -> str:
    """``url_for`` for the current language: ``pages.home`` becomes ``en.home`` in English."""
    if str(get_locale()) == "en" and endpoint.startswith("pages."):
        endpoint = "en." + endpoint.removeprefix("pages.")
    return url_for(endpoint, **values)


def switch_language_url(endpoint: str | None, values: dict | None) -> str:
    """The same page in the other language (the home page when there is no twin)."""
    if not endpoint or endpoint.split(".")[0] not in ("pages", "en"):
        return url_for("pages.home") if str(get_locale()) == "en" else url_for("en.home")
    name = endpoint.split(".", 1)[1]
    target = "pages." + name if endpoint.startswith("en.") else "en." + name
    return url_for(target, **(values or {}))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(bp, url_prefix="/en", name="en")
    app.jinja_env.globals.update(localized_url=localized_url, switch_language_url=switch_language_url)
