"""Public campaign pages and the vanity links printed on posters and read on the radio.

``/c/<code>`` counts one arrival (when the request may be counted) and redirects to the
campaign's landing page in the placement's language: the code travels this one hop and is not
in the address the visitor lands on. Nothing is set on the visitor's device.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import get_locale
from markupsafe import Markup

from campaigns.content import render_markdown
from campaigns.reach import find_placement
from campaigns.services import published_campaign
from registry.db import unit_of_work

from portal.campaigns.counting import count_arrival
from portal.database import db

bp = Blueprint("campaign_pages", __name__)
vanity = Blueprint("campaign_links", __name__)


def landing_url(slug: str, locale: str) -> str:
    endpoint = "campaign_pages_en.landing" if locale == "en" else "campaign_pages.landing"
    return url_for(endpoint, slug=slug)


@bp.get("/campagnes/<slug>")
def landing(slug: str):
    campaign = published_campaign(db.session(), slug)
    if campaign is None:
        abort(404)
    return render_landing(campaign, str(get_locale()))


def render_landing(campaign, locale: str, *, preview: bool = False):
    """The landing page, also used by the campaign managers' preview."""
    return render_template(
        "campaigns/landing.html",
        campaign=campaign,
        page_title=campaign.title(locale),
        page_locale=locale,
        body=Markup(render_markdown(campaign.body(locale))),
        preview=preview,
    )


@vanity.get("/c/<code>")
def vanity_link(code: str):
    session = db.session()
    placement = find_placement(session, code)
    if placement is None or not placement.campaign.published:
        abort(404)
    target = landing_url(placement.campaign.slug, placement.locale)
    with unit_of_work(session):
        count_arrival(session, placement)
    response = redirect(target, code=302)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
