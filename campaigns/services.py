"""Creating, changing and publishing campaigns and their placements.

Services take the session, flush, and never commit: the view or command calling them is the
unit of work. Every field is checked here, and all problems of one submission are reported at
once (``InvalidCampaign.problems``: field name -> error code) so that a form can show each.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigns.errors import CampaignNotFound, InvalidCampaign, PlacementNotFound
from campaigns.models import AUDIENCES, CHANNELS, LOCALES, Campaign, Placement
from registry.models import utcnow

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
_CODE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud on the radio
MAX_TITLE = 200
MAX_BODY = 50_000
MAX_DECLARED_REACH = 100_000_000


@dataclass
class CampaignFields:
    """What a campaign manager fills in for a campaign."""

    slug: str
    audience: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    title_fr: str
    title_en: str
    body_fr: str
    body_en: str


@dataclass
class PlacementFields:
    """What a campaign manager fills in for a placement; an empty code is drawn at random."""

    channel: str
    label: str
    locale: str = "fr"
    code: str = ""
    declared_reach: int | None = None
    declared_reach_note: str = ""


def _check_campaign(session: Session, fields: CampaignFields, campaign_id: int | None) -> None:
    problems: dict[str, str] = {}
    fields.slug = (fields.slug or "").strip().lower()
    if not _SLUG.match(fields.slug):
        problems["slug"] = "invalid_slug"
    elif session.scalar(select(Campaign.id).where(Campaign.slug == fields.slug, Campaign.id != (campaign_id or -1))):
        problems["slug"] = "slug_taken"
    if fields.audience not in AUDIENCES:
        problems["audience"] = "invalid_audience"
    if fields.starts_on is None:
        problems["starts_on"] = "required"
    if fields.ends_on is None:
        problems["ends_on"] = "required"
    elif fields.starts_on is not None and fields.ends_on < fields.starts_on:
        problems["ends_on"] = "ends_before_start"
    for name in ("title_fr", "title_en"):
        value = (getattr(fields, name) or "").strip()
        setattr(fields, name, value)
        if not value:
            problems[name] = "required"
        elif len(value) > MAX_TITLE:
            problems[name] = "too_long"
    for name in ("body_fr", "body_en"):
        value = (getattr(fields, name) or "").strip()
        setattr(fields, name, value)
        if not value:
            problems[name] = "required"
        elif len(value) > MAX_BODY:
            problems[name] = "too_long"
    if problems:
        raise InvalidCampaign(problems)


def create_campaign(session: Session, fields: CampaignFields) -> Campaign:
    """A new campaign, unpublished until a campaign manager publishes it."""
    _check_campaign(session, fields, None)
    campaign = Campaign(**vars(fields))
    session.add(campaign)
    session.flush()
    return campaign


def update_campaign(session: Session, campaign: Campaign, fields: CampaignFields) -> Campaign:
    """Change every field at once; a published campaign stays published."""
    _check_campaign(session, fields, campaign.id)
    for name, value in vars(fields).items():
        setattr(campaign, name, value)
    session.flush()
    return campaign


def publish_campaign(session: Session, campaign: Campaign) -> None:
    """Make the landing page public (its vanity links redirect there)."""
    if campaign.published_at is None:
        campaign.published_at = utcnow()
    session.flush()


def unpublish_campaign(session: Session, campaign: Campaign) -> None:
    campaign.published_at = None
    session.flush()


def get_campaign(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise CampaignNotFound()
    return campaign


def published_campaign(session: Session, slug: str) -> Campaign | None:
    """The campaign shown at its landing page, or None when it is unknown or not published."""
    return session.scalar(select(Campaign).where(Campaign.slug == slug, Campaign.published_at.is_not(None)))


def list_campaigns(session: Session) -> list[Campaign]:
    return list(session.scalars(select(Campaign).order_by(Campaign.starts_on.desc(), Campaign.id.desc())))


def _check_placement(session: Session, fields: PlacementFields, placement_id: int | None) -> None:
    problems: dict[str, str] = {}
    fields.code = (fields.code or "").strip().lower()
    fields.label = (fields.label or "").strip()
    fields.declared_reach_note = (fields.declared_reach_note or "").strip()
    if fields.channel not in CHANNELS:
        problems["channel"] = "invalid_channel"
    if fields.locale not in LOCALES:
        problems["locale"] = "invalid_locale"
    if not fields.label:
        problems["label"] = "required"
    elif len(fields.label) > MAX_TITLE:
        problems["label"] = "too_long"
    if fields.code:
        if not _CODE.match(fields.code):
            problems["code"] = "invalid_code"
        elif session.scalar(select(Placement.id).where(Placement.code == fields.code,
                                                       Placement.id != (placement_id or -1))):
            problems["code"] = "code_taken"
    if fields.declared_reach is not None and not 0 <= fields.declared_reach <= MAX_DECLARED_REACH:
        problems["declared_reach"] = "invalid_reach"
    if len(fields.declared_reach_note) > MAX_TITLE:
        problems["declared_reach_note"] = "too_long"
    if problems:
        raise InvalidCampaign(problems)


def new_code(session: Session, length: int = 6) -> str:
    """A short random code, easy to read aloud and type, not used yet."""
    while True:
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(length))
        if session.scalar(select(func.count()).select_from(Placement).where(Placement.code == code)) == 0:
            return code


def add_placement(session: Session, campaign: Campaign, fields: PlacementFields) -> Placement:
    """A new placement of ``campaign`` with its vanity code (drawn when none is given)."""
    _check_placement(session, fields, None)
    placement = Placement(
        campaign_id=campaign.id,
        code=fields.code or new_code(session),
        channel=fields.channel,
        label=fields.label,
        locale=fields.locale,
        declared_reach=fields.declared_reach,
        declared_reach_note=fields.declared_reach_note or None,
    )
    session.add(placement)
    session.flush()
    return placement


def update_placement(session: Session, placement: Placement, fields: PlacementFields) -> Placement:
    """Change a placement; an empty code keeps the current one (printed posters still work)."""
    fields.code = fields.code or placement.code
    _check_placement(session, fields, placement.id)
    placement.code = fields.code
    placement.channel = fields.channel
    placement.label = fields.label
    placement.locale = fields.locale
    placement.declared_reach = fields.declared_reach
    placement.declared_reach_note = fields.declared_reach_note or None
    session.flush()
    return placement


def get_placement(session: Session, campaign: Campaign, placement_id: int) -> Placement:
    placement = session.get(Placement, placement_id)
    if placement is None or placement.campaign_id != campaign.id:
        raise PlacementNotFound()
    return placement
