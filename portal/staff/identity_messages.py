"""Translated messages for the registry's identifier and identity codes, and the field each
belongs to, so a refused filing points at the field to correct."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

IDENTIFIER_MESSAGES = {
    "empty": _l("Saisissez le numéro de sécurité sociale de la personne."),
    "length": _l("Le numéro de sécurité sociale comporte 15 caractères : 13 chiffres et une clé de 2 chiffres."),
    "format": _l("Le numéro de sécurité sociale contient des caractères non autorisés."),
    "sex": _l("Le premier chiffre du numéro doit être 1, 2, 3, 4, 7 ou 8."),
    "month": _l("Le mois de naissance (4e et 5e chiffres) n'est pas valide."),
    "department": _l("Le département de naissance (à partir du 6e caractère) n'est pas valide."),
    "commune": _l("Le code de la commune de naissance n'est pas valide."),
    "country": _l("Le code du pays de naissance n'est pas valide."),
    "order": _l("Le numéro d'ordre (11e au 13e chiffres) n'est pas valide."),
    "checksum": _l("La clé (2 derniers chiffres) ne correspond pas au numéro : vérifiez la saisie."),
    "oid": _l("Le type d'identifiant n'est pas reconnu."),
    "test_identifier": _l("Les numéros de test et de démonstration ne sont pas acceptés ici."),
}

IDENTITY_MESSAGES = {
    "sex_mismatch": ("sex", _l("Le sexe ne correspond pas au numéro de sécurité sociale.")),
    "birth_year_mismatch": ("birthdate", _l("L'année de naissance ne correspond pas au numéro de sécurité sociale.")),
    "birth_month_mismatch": ("birthdate", _l("Le mois de naissance ne correspond pas au numéro de sécurité sociale.")),
    "birthdate_invalid": ("birthdate", _l("La date de naissance n'est pas une date valide.")),
    "birth_department_mismatch": ("identifier", _l("Le département de naissance du numéro ne correspond pas au lieu de naissance de la personne.")),
    "birth_country_mismatch": ("identifier", _l("Le pays de naissance du numéro ne correspond pas à celui de la personne.")),
    "department_era_mismatch": ("identifier", _l(
        "Le département de naissance ne correspond pas à l'année de naissance "
        "(la Corse est 20 avant 1976, 2A ou 2B ensuite).")),
}
