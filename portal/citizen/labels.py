"""Translated words for the registry's stable codes (reasons, purposes, actions, channels)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from registry.purposes import Purpose

IDENTIFIER_MESSAGES = {
    "empty": _l("Saisissez le numéro de sécurité sociale (15 caractères)."),
    "length": _l("Le numéro doit compter 15 caractères : 13 chiffres puis une clé de 2 chiffres."),
    "format": _l("Le numéro ne peut contenir que des chiffres (et 2A ou 2B pour une naissance en Corse)."),
    "sex": _l("Le premier chiffre du numéro doit être 1 ou 2."),
    "month": _l("Le mois de naissance (4e et 5e chiffres) n'est pas valide."),
    "department": _l("Le département de naissance (6e et 7e caractères) n'est pas valide."),
    "commune": _l("Le code de la commune de naissance (8e à 10e chiffres) n'est pas valide."),
    "country": _l("Le code du pays de naissance (8e à 10e chiffres) n'est pas valide."),
    "order": _l("Le numéro d'ordre (11e à 13e chiffres) n'est pas valide."),
    "checksum": _l("La clé (2 derniers chiffres) ne correspond pas au numéro : vérifiez qu'il n'y a pas d'erreur de frappe."),
    "oid": _l("Ce type de numéro n'est pas accepté."),
    "test_identifier": _l("Les numéros de test ne sont pas acceptés."),
}

SELF_IDENTITY_MESSAGES = {
    "sex_mismatch": _l("Ce numéro ne correspond pas à votre identité FranceConnect : le premier chiffre (sexe) est différent."),
    "birth_year_mismatch": _l("Ce numéro ne correspond pas à votre année de naissance (2e et 3e chiffres)."),
    "birth_month_mismatch": _l("Ce numéro ne correspond pas à votre mois de naissance (4e et 5e chiffres)."),
    "birthdate_invalid": _l("Votre date de naissance transmise par FranceConnect ne permet pas de vérifier ce numéro."),
    "department_era_mismatch": _l("Le département de naissance ne correspond pas à l'année de naissance (Corse : 20 avant 1976, 2A ou 2B ensuite)."),
}

PROXY_BIRTHDATE_MESSAGES = {
    "birthdate_invalid": _l("Saisissez une date de naissance valide, par exemple 09/03/2018."),
    "birth_year_mismatch": _l("Ce numéro ne correspond pas à l'année de naissance indiquée (2e et 3e chiffres)."),
    "birth_month_mismatch": _l("Ce numéro ne correspond pas au mois de naissance indiqué (4e et 5e chiffres)."),
    "department_era_mismatch": _l("Le département de naissance ne correspond pas à l'année de naissance (Corse : 20 avant 1976, 2A ou 2B ensuite)."),
}

PURPOSE_LABELS = {
    Purpose.PUBLIC_HEALTH: _l("Santé publique et santé au travail"),
    Purpose.POLICY: _l("Élaboration des politiques publiques et de la réglementation"),
    Purpose.STATISTICS: _l("Statistiques officielles"),
    Purpose.EDUCATION: _l("Enseignement et formation en santé"),
    Purpose.RESEARCH: _l("Recherche scientifique"),
    Purpose.INNOVATION: _l("Développement et innovation de produits et services"),
    Purpose.AI: _l("Entraînement, test et évaluation d'algorithmes, dont l'intelligence artificielle"),
    Purpose.CARE_IMPROVEMENT: _l("Amélioration des soins et traitements personnalisés"),
}

ACTION_LABELS = {
    "filed": _l("Opposition enregistrée"),
    "changed": _l("Usages modifiés"),
    "withdrawn": _l("Opposition retirée"),
    "refiled": _l("Opposition enregistrée à nouveau"),
}

CHANNEL_LABELS = {
    "online": _l("En ligne"),
    "counter": _l("Au guichet"),
    "phone": _l("Par téléphone"),
    "post": _l("Par courrier"),
}

ACTOR_LABELS = {
    "self": _l("Par la personne elle-même"),
    "proxy": _l("Par un représentant légal"),
    "agent": _l("Par un agent du registre"),
}

PROXY_KIND_LABELS = {
    "minor": _l("Enfant mineur"),
    "protected_adult": _l("Majeur protégé"),
}
