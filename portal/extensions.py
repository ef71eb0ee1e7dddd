"""Extensions, created unbound and bound to an app in ``create_app``."""

from flask import Flask, request
from flask_babel import Babel, get_locale
from flask_wtf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()


def select_locale() -> str:
    """English under /en/, French everywhere else (French is the default language).

    English is British English, dates included ("5 December 2026", not "December 5, 2026"):
    the catalogue is ``en`` (gettext falls back from ``en_GB`` to it); code that needs the
    language alone reads ``get_locale().language``."""
    return "en_GB" if request.path == "/en" or request.path.startswith("/en/") else "fr"


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    app.context_processor(lambda: {"current_locale": get_locale().language})
