"""Campaigns and placements for tests, made through the public services."""

from __future__ import annotations

import datetime as dt

from campaigns.services import CampaignFields, PlacementFields, add_placement, create_campaign, publish_campaign


def make_campaign(session, slug="test-campagne", audience="citizens", published=True, **changes):
    fields = CampaignFields(
        slug=slug, audience=audience, starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31),
        title_fr="Votre choix compte", title_en="Your choice matters",
        body_fr="Bonjour **tout le monde**.", body_en="Hello **everyone**.",
    )
    for name, value in changes.items():
        setattr(fields, name, value)
    campaign = create_campaign(session, fields)
    if published:
        publish_campaign(session, campaign)
    return campaign


def make_placement(session, campaign, code="affiche1", channel="qr_poster", declared_reach=5000, locale="fr"):
    return add_placement(session, campaign, PlacementFields(
        channel=channel, label="Affiches en pharmacie", locale=locale, code=code, declared_reach=declared_reach,
        declared_reach_note="5 000 affiches imprimées",
    ))


def answer_sheet(module, question_ids, *, right: bool) -> dict[str, list[str]]:
    """Answers to these questions of ``module``: all right, or all wrong (no credit at all)."""
    sheet = {}
    for question in module.quiz_questions(question_ids):
        wrong = sorted(question.option_ids - question.correct_ids)
        sheet[question.id] = sorted(question.correct_ids) if right else (
            wrong if question.type == "multiple" else wrong[:1])
    return sheet
