"""Translated names of the registry's codes (purposes, channels, evidence), shared by every
page, PDF and export that shows them, so the same thing is always called the same way: the
citizen pages (``portal.citizen.labels``), the statistics, the staff pages and the paper form
all read these tables and no other."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from registry.purposes import Purpose

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

CHANNEL_LABELS = {
    "counter": _l("Au guichet"),
    "phone": _l("Par téléphone"),
    "post": _l("Par courrier"),
    "online": _l("En ligne"),
    "registry": _l("Par le registre"),
}

# What an agent checked before acting for the person (``registry.ownership.EVIDENCE``).
EVIDENCE_LABELS = {
    "identity_document": _l("Pièce d'identité vérifiée au guichet"),
    "identity_copy": _l("Copie de la pièce d'identité reçue"),
}

# Who asked an agent to file for a child or a protected adult
# (``registry.ownership.REPRESENTATIVES``), and what the agent checked of it.
REPRESENTATIVE_LABELS = {
    "parent": _l("Parent"),
    "guardian": _l("Tuteur ou tutrice"),
    "curator": _l("Curateur ou curatrice"),
    "family_empowerment": _l("Proche habilité par le juge (habilitation familiale)"),
}
REPRESENTATIVE_EVIDENCE_LABELS = {
    "representative_documents": _l("Pièce d'identité du représentant et justificatif de sa qualité vérifiés au guichet"),
    "representative_copies": _l("Copies de la pièce d'identité du représentant et du justificatif de sa qualité reçues"),
}
