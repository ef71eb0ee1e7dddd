import datetime as dt

import pytest

from campaigns.errors import InvalidCampaign
from campaigns.services import (
    CampaignFields, PlacementFields, add_placement, published_campaign, update_campaign, update_placement,
)
from tests.campaigns.factories import make_campaign, make_placement


def test_a_campaign_is_shown_only_once_published(session):
    draft = make_campaign(session, slug="brouillon", published=False)
    assert published_campaign(session, "brouillon") is None
    from campaigns.services import publish_campaign

    publish_campaign(session, draft)
    assert published_campaign(session, "brouillon") is draft


def test_every_wrong_field_is_reported_at_once(session):
    with pytest.raises(InvalidCampaign) as raised:
        make_campaign(session, slug="Pas un slug!", audience="everyone", title_en=" ", body_fr="",
                      starts_on=dt.date(2026, 5, 1), ends_on=dt.date(2026, 4, 1))
    assert raised.value.problems == {
        "slug": "invalid_slug", "audience": "invalid_audience", "ends_on": "ends_before_start",
        "title_en": "required", "body_fr": "required",
    }


def test_slugs_and_codes_are_unique(session):
    campaign = make_campaign(session, slug="unique")
    make_placement(session, campaign, code="radio1")
    with pytest.raises(InvalidCampaign) as raised:
        make_campaign(session, slug="unique")
    assert raised.value.problems == {"slug": "slug_taken"}
    with pytest.raises(InvalidCampaign) as raised:
        make_placement(session, campaign, code="RADIO1")
    assert raised.value.problems == {"code": "code_taken"}


def test_a_placement_without_a_code_gets_a_short_readable_one(session):
    campaign = make_campaign(session)
    placement = add_placement(session, campaign, PlacementFields(channel="radio", label="Spot France Inter"))
    assert len(placement.code) == 6 and not set(placement.code) & set("01ilo")
    assert placement.declared_reach is None


def test_a_placement_keeps_its_code_when_edited_without_one(session):
    campaign = make_campaign(session)
    placement = make_placement(session, campaign, code="affiche9")
    update_placement(session, placement, PlacementFields(channel="event", label="Salon", code="", declared_reach=10))
    assert placement.code == "affiche9" and placement.channel == "event" and placement.declared_reach == 10


def test_wrong_placement_fields_are_named(session):
    campaign = make_campaign(session)
    with pytest.raises(InvalidCampaign) as raised:
        add_placement(session, campaign, PlacementFields(channel="tv", label="", locale="de", code="a b",
                                                         declared_reach=-5))
    assert raised.value.problems == {"channel": "invalid_channel", "locale": "invalid_locale", "label": "required",
                                     "code": "invalid_code", "declared_reach": "invalid_reach"}


def test_editing_a_campaign_keeps_it_published(session):
    campaign = make_campaign(session, slug="edition")
    fields = CampaignFields(slug="edition", audience="professionals", starts_on=campaign.starts_on,
                            ends_on=campaign.ends_on, title_fr="Nouveau", title_en="New", body_fr="a", body_en="b")
    update_campaign(session, campaign, fields)
    assert campaign.title("en") == "New" and campaign.published
