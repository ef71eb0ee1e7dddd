"""Public pages, served in French at / and in English under /en/.

Every citizen-facing blueprint is registered twice with ``register_bilingual``: as itself for
French and under ``/en`` as its English twin. ``localized_url`` and ``switch_language_url``
find the right twin, so templates name only the French endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Flask, current_app, render_template, request, url_for
from flask_babel import get_locale, lazy_gettext as _l

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    return render_template("pages/home.html")


def register_bilingual(app: Flask, blueprint: Blueprint, *, url_prefix: str = "", en_name: str | None = None) -> None:
    """Serve ``blueprint`` in French at ``url_prefix`` and in English at ``/en`` + ``url_prefix``."""
    en_name = en_name or f"{blueprint.name}_en"
    app.register_blueprint(blueprint, url_prefix=url_prefix or None)
    app.register_blueprint(blueprint, url_prefix="/en" + url_prefix, name=en_name)
    app.extensions.setdefault("bilingual", {})[blueprint.name] = en_name


def _twins() -> dict[str, str]:
    return current_app.extensions.get("bilingual", {})


def localized_url(endpoint: str, **values) -> str:
    """``url_for`` for the current language: ``pages.home`` becomes ``en.home`` in English."""
    blueprint, _, name = endpoint.partition(".")
    if get_locale().language == "en" and blueprint in _twins():
        endpoint = f"{_twins()[blueprint]}.{name}"
    return url_for(endpoint, **values)


def switch_language_url(endpoint: str | None, values: dict | None) -> str:
    """The same page in the other language (the home page when there is no twin)."""
    twins = _twins()
    french_of = {en: fr for fr, en in twins.items()}
    blueprint, _, name = (endpoint or "").partition(".")
    if blueprint in twins:
        return url_for(f"{twins[blueprint]}.{name}", **(values or {}))
    if blueprint in french_of:
        return url_for(f"{french_of[blueprint]}.{name}", **(values or {}))
    return url_for("pages.home") if get_locale().language == "en" else url_for("en.home")


@dataclass(frozen=True)
class NavigationItem:
    url: str
    label: str
    current: bool


def add_navigation(app: Flask, endpoint: str, label) -> None:
    """Add an entry to the main menu (``label`` a lazy translation)."""
    app.extensions.setdefault("navigation", []).append((endpoint, label))


def main_navigation() -> list[NavigationItem]:
    items = []
    current = (request.endpoint or "").partition(".")
    french_of = {en: fr for fr, en in _twins().items()}
    here = f"{french_of.get(current[0], current[0])}.{current[2]}"
    for endpoint, label in current_app.extensions.get("navigation", []):
        items.append(NavigationItem(localized_url(endpoint), str(label), endpoint == here))
    return items


def init_app(app: Flask) -> None:
    register_bilingual(app, bp, en_name="en")
    add_navigation(app, "pages.home", _l("Accueil"))
    app.jinja_env.globals.update(
        localized_url=localized_url, switch_language_url=switch_language_url, main_navigation=main_navigation
    )
