"""Campaign-manager pages: create and edit campaigns and placements, preview, publish, download
QR codes, and the reach dashboard with its CSV export. Every page needs the ``campaign_manager``
role; every change is a POST with a CSRF token; views are the unit of work and commit."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from campaigns.errors import CampaignNotFound, InvalidCampaign, PlacementNotFound
from campaigns.qrcodes import qr_png, qr_svg
from campaigns.reporting import campaign_report, csv_rows, national_filings_by_day
from registry.db import Abandon, unit_of_work
from campaigns.services import (
    CampaignFields, PlacementFields, add_placement, create_campaign, get_campaign, get_placement, list_campaigns,
    publish_campaign, unpublish_campaign, update_campaign, update_placement,
)

from portal import charts
from portal.campaigns.counting import today
from portal.campaigns.forms import (
    AUDIENCE_LABELS, CHANNEL_LABELS, LOCALE_LABELS, STEP_LABELS, CampaignForm, PlacementForm, show_problems,
)
from portal.campaigns.public import render_landing
from portal.database import db
from portal.staff.forms import ActionForm
from portal.staff.home import staff_context
from portal.staff.session import staff_required

bp = Blueprint("campaign_admin", __name__, url_prefix="/staff/campagnes")
bp.context_processor(staff_context)
ROLE = "campaign_manager"


@bp.context_processor
def labels() -> dict:
    return {"audience_labels": AUDIENCE_LABELS, "channel_labels": CHANNEL_LABELS, "locale_labels": LOCALE_LABELS,
            "step_labels": STEP_LABELS, "action_form": ActionForm()}


def _campaign(campaign_id: int):
    try:
        return get_campaign(db.session(), campaign_id)
    except CampaignNotFound:
        abort(404)


def _placement(campaign, placement_id: int):
    try:
        return get_placement(db.session(), campaign, placement_id)
    except PlacementNotFound:
        abort(404)


def vanity_url(placement) -> str:
    """The address printed on posters and in QR codes: on ``CAMPAIGN_PUBLIC_URL`` when set (the
    public site, not the back-office host this page is served from)."""
    base = current_app.config["CAMPAIGN_PUBLIC_URL"]
    if base:
        return base.rstrip("/") + url_for("campaign_links.vanity_link", code=placement.code)
    return url_for("campaign_links.vanity_link", code=placement.code, _external=True)


@bp.get("/")
@staff_required(ROLE)
def index():
    return render_template("campaigns/manager/index.html", campaigns=list_campaigns(db.session()))


def _submit(form, save):
    """Check a posted form and save it through ``save(session)``; commit and return the saved
    object, or None. The domain checks run even when a field could not be parsed, so that one
    submission shows every problem at once; nothing is kept unless everything is valid."""
    if not form.is_submitted():
        return None
    parsed = form.validate()
    if getattr(form, "csrf_token", None) is not None and form.csrf_token.errors:
        return None
    saved = None
    try:
        with unit_of_work(db.session()) as session:
            saved = save(session)
            if not parsed:
                raise Abandon()  # the domain checks ran for their messages; nothing is kept
    except InvalidCampaign as invalid:
        show_problems(form, invalid.problems)
        return None
    return saved if parsed else None


def _campaign_fields(form: CampaignForm) -> CampaignFields:
    return CampaignFields(
        slug=form.slug.data or "", audience=form.audience.data or "", starts_on=form.starts_on.data,
        ends_on=form.ends_on.data, title_fr=form.title_fr.data or "", title_en=form.title_en.data or "",
        body_fr=form.body_fr.data or "", body_en=form.body_en.data or "",
    )


@bp.route("/nouvelle", methods=["GET", "POST"])
@staff_required(ROLE)
def create():
    form = CampaignForm()
    campaign = _submit(form, lambda session: create_campaign(session, _campaign_fields(form)))
    if campaign is not None:
        flash(_("La campagne est créée. Elle n'est pas publiée."), "success")
        return redirect(url_for("campaign_admin.show", campaign_id=campaign.id))
    status = 422 if any(f.errors for f in form) else 200
    return render_template("campaigns/manager/campaign_form.html", form=form, campaign=None), status


@bp.route("/<int:campaign_id>/modifier", methods=["GET", "POST"])
@staff_required(ROLE)
def edit(campaign_id: int):
    campaign = _campaign(campaign_id)
    form = CampaignForm(obj=campaign)
    if _submit(form, lambda session: update_campaign(session, campaign, _campaign_fields(form))) is not None:
        flash(_("La campagne est enregistrée."), "success")
        return redirect(url_for("campaign_admin.show", campaign_id=campaign.id))
    status = 422 if any(f.errors for f in form) else 200
    return render_template("campaigns/manager/campaign_form.html", form=form, campaign=campaign), status


@bp.get("/<int:campaign_id>")
@staff_required(ROLE)
def show(campaign_id: int):
    campaign = _campaign(campaign_id)
    return render_template("campaigns/manager/campaign.html", campaign=campaign,
                           vanity_urls={p.id: vanity_url(p) for p in campaign.placements})


@bp.get("/<int:campaign_id>/apercu/<locale>")
@staff_required(ROLE)
def preview(campaign_id: int, locale: str):
    if locale not in ("fr", "en"):
        abort(404)
    return render_landing(_campaign(campaign_id), locale, preview=True)


@bp.post("/<int:campaign_id>/publication")
@staff_required(ROLE)
def publication(campaign_id: int):
    campaign = _campaign(campaign_id)
    form = ActionForm()
    if form.validate_on_submit():
        with unit_of_work(db.session()) as session:
            if request.form.get("action") == "unpublish":
                unpublish_campaign(session, campaign)
                flash(_("La campagne n'est plus publiée : sa page et ses liens courts ne répondent plus."), "success")
            else:
                publish_campaign(session, campaign)
                flash(_("La campagne est publiée."), "success")
    return redirect(url_for("campaign_admin.show", campaign_id=campaign.id))


def _placement_fields(form: PlacementForm) -> PlacementFields:
    return PlacementFields(
        channel=form.channel.data or "", label=form.label.data or "", locale=form.locale.data or "",
        code=form.code.data or "", declared_reach=form.declared_reach.data,
        declared_reach_note=form.declared_reach_note.data or "",
    )


@bp.route("/<int:campaign_id>/emplacements/nouveau", methods=["GET", "POST"])
@bp.route("/<int:campaign_id>/emplacements/<int:placement_id>/modifier", methods=["GET", "POST"])
@staff_required(ROLE)
def placement_form(campaign_id: int, placement_id: int | None = None):
    campaign = _campaign(campaign_id)
    placement = _placement(campaign, placement_id) if placement_id is not None else None
    form = PlacementForm(obj=placement)

    def save(session):
        if placement is None:
            return add_placement(session, campaign, _placement_fields(form))
        return update_placement(session, placement, _placement_fields(form))

    if _submit(form, save) is not None:
        flash(_("L'emplacement est enregistré."), "success")
        return redirect(url_for("campaign_admin.show", campaign_id=campaign.id))
    status = 422 if any(f.errors for f in form) else 200
    return render_template("campaigns/manager/placement_form.html", form=form, campaign=campaign,
                           placement=placement), status


@bp.get("/<int:campaign_id>/emplacements/<int:placement_id>/qr.<kind>")
@staff_required(ROLE)
def qr_code(campaign_id: int, placement_id: int, kind: str):
    placement = _placement(_campaign(campaign_id), placement_id)
    url = vanity_url(placement)
    if kind == "png":
        body, mimetype = qr_png(url), "image/png"
    elif kind == "svg":
        body, mimetype = qr_svg(url, title=_("QR code vers %(url)s", url=url)), "image/svg+xml"
    else:
        abort(404)
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="qr-{placement.code}.{kind}"'
    return response


@bp.get("/<int:campaign_id>/tableau-de-bord")
@staff_required(ROLE)
def dashboard(campaign_id: int):
    campaign = _campaign(campaign_id)
    report = campaign_report(db.session(), campaign)
    suppressed = _("<10")
    arrivals_chart = charts.column_chart(
        [(d.day.strftime("%d/%m/%Y"), d.count) for d in report.arrivals_by_day],
        name=_("Arrivées par jour, toutes sources confondues"), suppressed=suppressed)
    funnel_chart = charts.funnel_chart(
        [(str(STEP_LABELS[s.step]), s.count) for s in report.funnel],
        name=_("Parcours : des arrivées au quiz réussi"), suppressed=suppressed)
    filings = national_filings_by_day(db.session(), since=min(campaign.starts_on, today()))
    return render_template("campaigns/manager/dashboard.html", campaign=campaign, report=report,
                           arrivals_chart=arrivals_chart, funnel_chart=funnel_chart, filings=filings,
                           suppressed=suppressed)


@bp.get("/<int:campaign_id>/export.csv")
@staff_required(ROLE)
def export(campaign_id: int):
    campaign = _campaign(campaign_id)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(csv_rows(campaign_report(db.session(), campaign)))
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="campagne-{campaign.slug}.csv"'
    return response
