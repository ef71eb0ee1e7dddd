"""Translated words for the registry's stable codes (reasons, purposes, actions, channels)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from registry.purposes import purposes_of

from portal.labels import CHANNEL_LABELS, EVIDENCE_LABELS, PURPOSE_LABELS  # noqa: F401  (one table each)

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
    "birth_department_mismatch": _l("Ce numéro ne correspond pas à votre lieu de naissance transmis par FranceConnect : le département de naissance (6e et 7e caractères) est différent."),
    "birth_country_mismatch": _l("Ce numéro ne correspond pas à votre pays de naissance transmis par FranceConnect (6e à 10e caractères : 99 suivi du code du pays pour une naissance à l'étranger)."),
}

# A self-filing whose traits could not all be checked online: kept as the account's own request.
UNVERIFIABLE_MESSAGES = {
    "month_unknown": _l("Votre mois de naissance est inconnu dans votre numéro ou chez FranceConnect : le registre ne peut pas vérifier en ligne que ce numéro est le vôtre. Votre demande est enregistrée et protège la personne de ce numéro. Pour voir ou modifier tout ce qui vous concerne, présentez-vous au guichet avec une pièce d'identité, ou envoyez le formulaire papier avec sa copie."),
    "nia": _l("Ce numéro est un numéro d'attente (NIA) : le registre ne peut pas vérifier en ligne qu'il est le vôtre. Votre demande est enregistrée et protège la personne de ce numéro. Pour voir ou modifier tout ce qui vous concerne, présentez-vous au guichet avec une pièce d'identité, ou envoyez le formulaire papier avec sa copie."),
    "pending_registration": _l("Ce numéro est en cours d'immatriculation : le registre ne peut pas vérifier en ligne qu'il est le vôtre. Votre demande est enregistrée et protège la personne de ce numéro. Pour voir ou modifier tout ce qui vous concerne, présentez-vous au guichet avec une pièce d'identité, ou envoyez le formulaire papier avec sa copie."),
    "no_birthplace": _l("FranceConnect n'a pas transmis votre lieu de naissance : le registre ne peut pas vérifier en ligne que ce numéro est le vôtre. Votre demande est enregistrée et protège la personne de ce numéro. Pour voir ou modifier tout ce qui vous concerne, présentez-vous au guichet avec une pièce d'identité, ou envoyez le formulaire papier avec sa copie."),
    "commune_unmapped": _l("Votre commune de naissance transmise par FranceConnect ne peut pas être rapprochée de celle de votre numéro (8e à 10e chiffres) : le registre ne peut pas vérifier en ligne que ce numéro est le vôtre. Votre demande est enregistrée et protège la personne de ce numéro. Pour voir ou modifier tout ce qui vous concerne, présentez-vous au guichet avec une pièce d'identité, ou envoyez le formulaire papier avec sa copie."),
}

PROXY_BIRTHDATE_MESSAGES = {
    "birthdate_invalid": _l("Saisissez une date de naissance valide, par exemple 09/03/2018."),
    "birth_year_mismatch": _l("Ce numéro ne correspond pas à l'année de naissance indiquée (2e et 3e chiffres)."),
    "birth_month_mismatch": _l("Ce numéro ne correspond pas au mois de naissance indiqué (4e et 5e chiffres)."),
    "department_era_mismatch": _l("Le département de naissance ne correspond pas à l'année de naissance (Corse : 20 avant 1976, 2A ou 2B ensuite)."),
}

ACTION_LABELS = {
    "filed": _l("Opposition enregistrée"),
    "changed": _l("Usages modifiés"),
    "withdrawn": _l("Opposition retirée"),
    "refiled": _l("Opposition enregistrée à nouveau"),
    "restored": _l("Opposition rétablie par le registre"),
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

# A holder's receipt speaks of its own request, never of the opposition in force.
CLAIM_ACTION_LABELS = {
    "filed": _l("Demande enregistrée"),
    "changed": _l("Demande modifiée"),
    "withdrawn": _l("Votre demande a pris fin"),
    "refiled": _l("Demande enregistrée à nouveau"),
}

# Who made a change, as the person reads it in their history, from the claim it changed.
AUTHOR_LABELS = {
    "person": _l("Vous"),
    "self": _l("Un compte qui n'a pas pu prouver être vous"),
    "proxy": _l("Un représentant légal"),
    "agent": _l("Un agent du registre"),
    "registry": _l("Le registre"),
}

PROXY_AGE_MESSAGES = {
    "minor_is_adult": _l("D'après cette date de naissance, la personne a 18 ans ou plus : si vous êtes son représentant légal, choisissez « Majeur protégé »."),
    "protected_adult_is_minor": _l("D'après cette date de naissance, la personne a moins de 18 ans : choisissez « Enfant mineur »."),
}

OTHER_IDENTITY_MESSAGE = _l(
    "Votre demande est enregistrée et protège la personne de ce numéro. Mais une autre identité FranceConnect a "
    "déjà prouvé être cette personne : pour voir ou modifier tout ce qui la concerne, présentez-vous au guichet "
    "avec une pièce d'identité, ou envoyez le formulaire papier avec sa copie."
)


def purposes_of_mask(mask: int):
    return purposes_of(mask)


def author_of(version) -> str:
    """Who made this change, for the person's history: "Vous", "Un représentant légal (enfant
    mineur)", "Un agent du registre (pièce d'identité vérifiée au guichet)"..."""
    if version.claim is None:
        return str(AUTHOR_LABELS["registry"])
    relation = version.claim.relation
    if relation == "person" and version.actor == "agent":
        relation = "agent"
    author = str(AUTHOR_LABELS[relation])
    if relation == "proxy" and version.proxy_for:
        author += f" ({str(PROXY_KIND_LABELS[version.proxy_for]).lower()})"
    if version.evidence:
        evidence = str(EVIDENCE_LABELS[version.evidence])
        author += f" ({evidence[:1].lower()}{evidence[1:]})"
    return author

# Someone else's request, as the person reads it in their history: a change to that request,
# not to the opposition in force (which stays the union of every request).
OTHER_HOLDER_ACTION_LABELS = {
    "filed": _l("Demande d'un tiers ajoutée"),
    "changed": _l("Demande d'un tiers modifiée"),
    "withdrawn": _l("Demande d'un tiers retirée"),
    "refiled": _l("Demande d'un tiers ajoutée à nouveau"),
}


def person_action(version) -> str:
    """What a version did, for the person: their own changes (or an agent's with evidence, or the
    registry's) change the opposition in force; anyone else's only changes that holder's request."""
    claim = version.claim
    if claim is None or claim.relation == "person":
        return str(ACTION_LABELS[version.action])
    return str(OTHER_HOLDER_ACTION_LABELS[version.action])


def _change(before: int, after: int, labels: dict) -> str:
    if after == 0:
        return str(labels["withdrawn"])
    if before == after:
        return str(labels["unchanged"])
    if before & after == before:
        return str(labels["added"])
    return str(labels["changed"])


PERSON_CHANGE_LABELS = {
    "withdrawn": _l("Opposition retirée"),
    "unchanged": _l("Votre opposition était déjà en vigueur"),
    "added": _l("Usages ajoutés à votre opposition"),
    "changed": ACTION_LABELS["changed"],
}

CLAIM_CHANGE_LABELS = {
    "withdrawn": _l("Votre demande a pris fin"),
    "unchanged": _l("Votre demande était déjà enregistrée"),
    "added": _l("Usages ajoutés à votre demande"),
    "changed": _l("Demande modifiée"),
}


def person_change(before: int, version) -> str:
    """The person's receipt title: what the version did to the opposition in force (the union of
    every request), not to the one request it changed. A new request that adds nothing to an
    opposition already in force says so instead of "Opposition enregistrée"."""
    if before == 0 and version.purposes_mask:
        return str(ACTION_LABELS["refiled" if version.action == "refiled" else "filed"])
    return _change(before, version.purposes_mask, PERSON_CHANGE_LABELS)


def claim_change(before: int, version) -> str:
    """A holder's receipt title: what the version did to its own request."""
    after = version.claim_mask or 0
    if before == 0 and after:
        return str(CLAIM_ACTION_LABELS["refiled" if version.action == "refiled" else "filed"])
    return _change(before, after, CLAIM_CHANGE_LABELS)
