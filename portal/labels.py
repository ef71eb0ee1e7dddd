"""Translated names of the registry's codes (purposes, channels), shared by every page that
shows them, so the same thing is always called the same way."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from registry.purposes import Purpose

PURPOSE_LABELS = {
    Purpose.PUBLIC_HEALTH: _l("Santé publique et santé au travail"),
    Purpose.POLICY: _l("Élaboration des politiques publiques et réglementation"),
    Purpose.STATISTICS: _l("Statistiques officielles"),
    Purpose.EDUCATION: _l("Enseignement et formation en santé"),
    Purpose.RESEARCH: _l("Recherche scientifique"),
    Purpose.INNOVATION: _l("Développement et innovation de produits et services"),
    Purpose.AI: _l("Entraînement, test et évaluation d'algorithmes, y compris d'IA"),
    Purpose.CARE_IMPROVEMENT: _l("Amélioration des soins et traitements personnalisés"),
}

CHANNEL_LABELS = {
    "counter": _l("Au guichet"),
    "phone": _l("Par téléphone"),
    "post": _l("Par courrier"),
    "online": _l("En ligne"),
}

# What an agent checked before acting for the person (``registry.ownership.EVIDENCE``).
EVIDENCE_LABELS = {
    "identity_document": _l("Pièce d'identité vérifiée au guichet"),
    "identity_copy": _l("Copie de la pièce d'identité reçue"),
}
