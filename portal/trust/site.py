"""The public pages of the site, in the order of the site map.

One list serves the site map and the accessibility statement's "pages tested"; the browser
tests read the statement and check each page it lists with axe-core, in French and English, so
the statement cannot name a page the tests do not check.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class SitePage:
    endpoint: str  # the French endpoint; ``localized_url`` finds the English twin
    label: object
    section: object
    login: bool = False  # behind FranceConnect: listed, but not in the public axe sweep


_DISCOVER = _l("Découvrir")
_ACT = _l("Faire ma demande")
_HELP = _l("Aide")
_TRUST = _l("Informations légales")
_DEVELOPERS = _l("Entrepôts de données de santé")

SITE_PAGES = (
    SitePage("pages.home", _l("Accueil"), _DISCOVER),
    SitePage("citizen.understand", _l("Comprendre"), _DISCOVER),
    SitePage("easyread.understand", _l("Comprendre, en facile à lire"), _DISCOVER),
    SitePage("easyread.steps", _l("Les étapes de la demande, en facile à lire"), _DISCOVER),
    SitePage("citizen.my_space", _l("Mon espace"), _ACT, login=True),
    SitePage("citizen.file_self", _l("M'opposer pour moi-même"), _ACT, login=True),
    SitePage("citizen.file_proxy", _l("M'opposer pour un enfant ou un majeur protégé"), _ACT, login=True),
    SitePage("mydata.overview", _l("Mes données"), _ACT, login=True),
    SitePage("help.help", _l("Aide : vos questions"), _HELP),
    SitePage("help.channels", _l("Faire sa demande par téléphone, au guichet ou par courrier"), _HELP),
    SitePage("help.contact", _l("Nous écrire"), _HELP),
    SitePage("developers.guide", _l("Développeurs : se connecter au registre"), _DEVELOPERS),
    SitePage("developers.api_reference", _l("Référence de l'API"), _DEVELOPERS),
    SitePage("developers.access_request", _l("Demander un accès à l'API"), _DEVELOPERS),
    SitePage("trust.verify_log", _l("Vérifier le registre"), _TRUST),
    SitePage("trust.legal", _l("Mentions légales"), _TRUST),
    SitePage("trust.privacy", _l("Données personnelles"), _TRUST),
    SitePage("trust.cookies", _l("Gestion des cookies"), _TRUST),
    SitePage("trust.accessibility", _l("Déclaration d'accessibilité"), _TRUST),
    SitePage("trust.sitemap", _l("Plan du site"), _TRUST),
)


def public_pages() -> tuple[SitePage, ...]:
    return tuple(page for page in SITE_PAGES if not page.login)


def sections() -> list[tuple[str, list[SitePage]]]:
    """The pages grouped by section, sections in first-seen order."""
    grouped: dict[str, list[SitePage]] = {}
    for page in SITE_PAGES:
        grouped.setdefault(str(page.section), []).append(page)
    return list(grouped.items())
