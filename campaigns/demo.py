"""Two demo campaigns for the embedded default: one for citizens, one for health professionals,
each with placements in French and English, so that ``./run`` shows landing pages, vanity links,
QR codes and a dashboard. Production refuses demo content (see ``flask registry seed-demo``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.models import Campaign
from campaigns.services import CampaignFields, PlacementFields, add_placement, create_campaign, publish_campaign

CITIZENS_FR = """Vos données de santé servent d'abord à vous soigner. Elles peuvent aussi servir à la
recherche, aux statistiques ou à entraîner des algorithmes.

## Ce que vous pouvez faire

- **Ne rien faire** : vos données peuvent être réutilisées, dans le cadre prévu par la loi.
- **Vous opposer**, à tous les usages ou à certains seulement, pour vous ou pour votre enfant.
- **Changer d'avis** à tout moment.

Vos soins ne changent pas, quel que soit votre choix.
"""

CITIZENS_EN = """Your health data are first used to care for you. They can also be used for research,
statistics or training algorithms.

## What you can do

- **Do nothing**: your data may be reused, within the limits set by law.
- **Object**, to every use or only to some, for yourself or for your child.
- **Change your mind** at any time.

Your care does not change, whatever you choose.
"""

PROFESSIONALS_FR = """Vos patients vous demanderont ce que devient leur dossier. Ce module de quinze
minutes vous donne les réponses justes.

## Ce qu'il faut savoir

1. L'opposition ne change rien aux soins ni à l'accès au dossier par l'équipe soignante.
2. Elle vaut pour la réutilisation secondaire : recherche, statistiques, entraînement d'algorithmes.
3. Un patient peut s'opposer en ligne, par courrier, ou au guichet avec un agent.
"""

PROFESSIONALS_EN = """Your patients will ask you what happens to their records. This fifteen-minute
module gives you the right answers.

## What to know

1. Objecting changes nothing about care or the care team's access to the record.
2. It applies to secondary use: research, statistics, training algorithms.
3. A patient can object online, by post, or at a counter with an agent.
"""

DEMO_CAMPAIGNS = (
    (CampaignFields(slug="vos-donnees-votre-choix", audience="citizens",
                    starts_on=dt.date(2026, 9, 1), ends_on=dt.date(2027, 3, 31),
                    title_fr="Vos données de santé, votre choix", title_en="Your health data, your choice",
                    body_fr=CITIZENS_FR, body_en=CITIZENS_EN),
     (PlacementFields(channel="qr_poster", label="Affiches en pharmacie", code="pharmacie", locale="fr",
                      declared_reach=5000, declared_reach_note="5 000 affiches imprimées"),
      PlacementFields(channel="radio", label="Spot radio national", code="radio", locale="fr",
                      declared_reach=2_000_000, declared_reach_note="Audience estimée par la station"),
      PlacementFields(channel="social", label="Social media (English)", code="social-en", locale="en"))),
    (CampaignFields(slug="professionnels-de-sante", audience="professionals",
                    starts_on=dt.date(2026, 10, 1), ends_on=dt.date(2027, 6, 30),
                    title_fr="Répondre à vos patients sur leurs données",
                    title_en="Answering your patients about their data",
                    body_fr=PROFESSIONALS_FR, body_en=PROFESSIONALS_EN),
     (PlacementFields(channel="email", label="Lettre aux médecins", code="lettre-medecins", locale="fr",
                      declared_reach=40_000, declared_reach_note="40 000 courriels envoyés"),
      PlacementFields(channel="event", label="Congress stand (English)", code="congress-en", locale="en",
                      declared_reach=800, declared_reach_note="800 leaflets"))),
)


def seed_demo_campaigns(session: Session) -> int:
    """Create and publish the demo campaigns that are not there yet; return how many were made."""
    created = 0
    for fields, placements in DEMO_CAMPAIGNS:
        if session.scalar(select(Campaign.id).where(Campaign.slug == fields.slug)):
            continue
        campaign = create_campaign(session, CampaignFields(**vars(fields)))
        for placement in placements:
            add_placement(session, campaign, PlacementFields(**vars(placement)))
        publish_campaign(session, campaign)
        created += 1
    return created
