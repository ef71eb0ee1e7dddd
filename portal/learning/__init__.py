"""Literacy modules on the web: lessons, pre-test and quiz for everyone; account, attestations and
export for professionals (Pro Santé Connect); public verification of attestations; item statistics.

Citizens stay anonymous: their progress lives in a signed cookie of its own only (``helpers``), and a finished
quiz adds to per-question sums, nothing else.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from portal.auth import prosanteconnect
    from portal.learning import helpers, pro, staff, verification, views
    from portal.pages import add_navigation, register_bilingual

    prosanteconnect.init_app(app)
    helpers.init_app(app)
    app.config.setdefault("LEARNING_STATISTICS_OPEN", False)
    register_bilingual(app, views.bp, url_prefix="/modules")
    register_bilingual(app, pro.bp, url_prefix="/pro")
    app.register_blueprint(pro.callback_bp)
    register_bilingual(app, verification.bp, url_prefix="/attestations")
    register_bilingual(app, staff.bp, url_prefix="/gestion/modules")
    add_navigation(app, "learning.index", _l("Se former"))
    add_navigation(app, "pro.home", _l("Professionnels de santé"))
