"""Easy-read French (FALC, « facile à lire et à comprendre »): "Comprendre" and the steps of the
request in short sentences, one idea per sentence, with concrete words.

FALC texts must be checked by readers with intellectual disabilities before they may carry the
European easy-to-read logo. Until ``EASY_READ_VALIDATED`` is set, the pages say that this has
not been done yet. The texts exist in French only; the English pages say so and show them with
``lang="fr"`` so that screen readers speak them in French.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, render_template
from flask_babel import gettext as _

from portal.pages import register_bilingual

bp = Blueprint("easyread", __name__)


def _page(name: str, title: str):
    return render_template(f"easyread/{name}.html", page_title=title,
                           validated=bool(current_app.config["EASY_READ_VALIDATED"]))


@bp.get("/comprendre")
def understand():
    return _page("understand", _("Comprendre, en facile à lire"))


@bp.get("/demarche")
def steps():
    return _page("steps", _("Les étapes de la demande, en facile à lire"))


def init_app(app: Flask) -> None:
    app.config.setdefault("EASY_READ_VALIDATED", False)
    register_bilingual(app, bp, url_prefix="/facile-a-lire")
