"""Public campaign pages and the vanity links printed on posters and read on the radio.

``/c/<code>`` counts one arrival (when the request may be counted) and redirects to the
campaign's landing page in the placement's language with ``?via=<code>``: the placement's code,
the same for everyone who came that way, which the page's links to the modules carry on so that
the later steps of the funnel are counted for the placement (``portal.campaigns.counting``).
Nothing is set on the visitor's device.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import get_locale
from markupsafe import Markup

from campaigns.content import render_markdown
from campaigns.modules import default_catalogue
from campaigns.reach import find_placement
from campaigns.services import published_campaign
from registry.db import unit_of_work

from portal.campaigns.counting import carried_code, count_arrival
from portal.database import db

bp = Blueprint("campaign_pages", __name__)
vanity = Blueprint("campaign_links", __name__)


def landing_url(slug: str, locale: str, via: str | None = None) -> str:
    endpoint = "campaign_pages_en.landing" if locale == "en" else "campaign_pages.landing"
    return url_for(endpoint, slug=slug, via=via)


def _module_links(audience: str, locale: str, via: str | None) -> list[tuple[str, str, str]]:
    """(title, summary, address) of the modules for the campaign's audience, carrying ``via``."""
    endpoint = "learning_en.module" if locale == "en" else "learning.module"
    return [(m.title, m.summary, url_for(endpoint, slug=m.slug, via=via))
            for m in default_catalogue().for_audience(audience, locale)]


@bp.get("/campagnes/<slug>")
def landing(slug: str):
    campaign = published_campaign(db.session(), slug)
    if campaign is None:
        abort(404)
    return render_landing(campaign, get_locale().language)


def render_landing(campaign, locale: str, *, preview: bool = False):
    """The landing page, also used by the campaign managers' preview (under the back-office's
    header, with a way back to the campaign)."""
    via = None if preview else carried_code()
    return render_template(
        "campaigns/manager/preview.html" if preview else "campaigns/landing.html",
        campaign=campaign,
        page_title=campaign.title(locale),
        page_locale=locale,
        body=Markup(render_markdown(campaign.body(locale))),
        preview=preview,
        modules=_module_links(campaign.audience, locale, via),
        understand_url=url_for("citizen_en.understand" if locale == "en" else "citizen.understand"),
    )


@vanity.get("/c/<code>")
def vanity_link(code: str):
    session = db.session()
    placement = find_placement(session, code)
    if placement is None or not placement.campaign.published:
        abort(404)
    target = landing_url(placement.campaign.slug, placement.locale, via=placement.code)
    with unit_of_work(session):
        count_arrival(session, placement)
    response = redirect(target, code=302)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
