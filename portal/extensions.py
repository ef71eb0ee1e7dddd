"""Extensions, created unbound and bound to an app in ``create_app``."""

from flask import Flask, request
from flask_babel import Babel, get_locale
from flask_wtf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()


def select_locale() -> str:
    """English under /en/, French everywhere else (French is the default language)."""
    return "en" if request.path == "/en" or request.path.startswith("/en/") else "fr"


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    app.context_processor(lambda: {"current_locale": str(get_locale())})
