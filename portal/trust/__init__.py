"""Trust pages: legal notice, privacy notice, cookies, accessibility statement, site map.

Their long texts are templates per language (``trust/<page>_fr.html``, ``trust/<page>_en.html``),
not catalogue entries. Facts the registry cannot know by itself (who operates it, who hosts it,
how to reach the data protection officer) are settings; until they are set the pages show a
visible "to be completed" mark naming the setting, rather than an invented fact.
"""

from __future__ import annotations

from flask import Flask

from portal.pages import register_bilingual

#: Settings shown on the trust pages (``REGISTRE_<NAME>`` in the environment); None shows a
#: "to be completed" mark.
TRUST_SETTINGS = (
    "OPERATOR_NAME",
    "OPERATOR_ADDRESS",
    "PUBLICATION_DIRECTOR",
    "HOST_NAME",
    "HOST_ADDRESS",
    "DPO_CONTACT",
    "ACCESSIBILITY_CONTACT",
    "SITE_URL",
)

#: RGAA conformity levels, as the statement and the footer name them. Without a full RGAA audit
#: the only true level is "non_conforme" (the RGAA's rule); set ``ACCESSIBILITY_STATUS`` and
#: ``ACCESSIBILITY_AUDIT_RATE`` once an audit has been made.
ACCESSIBILITY_LEVELS = ("totalement_conforme", "partiellement_conforme", "non_conforme")


def init_app(app: Flask) -> None:
    from portal.trust.views import bp

    for name in TRUST_SETTINGS:
        app.config.setdefault(name, None)
    app.config.setdefault("ACCESSIBILITY_STATUS", "non_conforme")
    app.config.setdefault("ACCESSIBILITY_AUDIT_RATE", None)
    app.config.setdefault("ACCESSIBILITY_STATEMENT_DATE", "2026-11-28")
    if app.config["ACCESSIBILITY_STATUS"] not in ACCESSIBILITY_LEVELS:
        from portal.config import ConfigurationError

        raise ConfigurationError(f"REGISTRE_ACCESSIBILITY_STATUS must be one of {', '.join(ACCESSIBILITY_LEVELS)}")
    register_bilingual(app, bp)
    app.context_processor(lambda: {"accessibility_status": app.config["ACCESSIBILITY_STATUS"]})
