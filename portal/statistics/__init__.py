"""Public statistics at /statistiques (English twin /en/statistics), with CSV and JSON downloads.

Every figure comes from ``registry.statistics.published_statistics``, which has already
replaced each count under 10 by None, rounded the others to the nearest 5 and left out the day
in progress (figures stop at the last complete Paris day, ``closed_until``, so that nobody can
file and watch the figures move); this layer only formats None as "<10".
"""

from __future__ import annotations

import csv
import io
import json

from flask import Blueprint, Flask, Response, current_app, render_template
from flask_babel import format_date, format_number, gettext as _, lazy_gettext as _l

from registry.statistics import MASKED, SEXES, THRESHOLD, PublishedStatistics, published_statistics

from portal.database import db
from portal.labels import PURPOSE_LABELS
from portal.charts import bar_chart

bp = Blueprint("statistics", __name__)
SUPPRESSED = "<10"
MASKED_MARK = "s"  # "secret statistique", as official French statistics mark it

def display(count) -> str:
    if count is None:
        return SUPPRESSED
    return MASKED_MARK if count == MASKED else format_number(count)


def raw(count):
    return SUPPRESSED if count is None else count  # MASKED stays "masked"


SEX_LABELS = {"female": _l("Femmes"), "male": _l("Hommes")}


def _published() -> PublishedStatistics:
    """The published figures; outside production they include the demonstration history that
    ``flask registry seed-demo`` writes (and the page says so), in production never."""
    return published_statistics(db.session(), synthetic=not current_app.config["PRODUCTION"])


def _charts(stats: PublishedStatistics) -> list:
    months = [(format_month(m.month), [m.active]) for m in stats.months]
    purposes = [(str(PURPOSE_LABELS[p]), [n]) for p, n in stats.by_purpose]
    ages = [(_("%(band)s ans", band=band), [cells[s] for s in SEXES]) for band, cells in stats.by_age_sex]
    return [
        bar_chart("graphique-mois", _("Oppositions en vigueur à la fin de chaque mois"),
                  _("Une barre par mois ; le tableau qui suit donne aussi les oppositions enregistrées, modifiées et retirées."),
                  months, [_("En vigueur")], display),
        bar_chart("graphique-finalites", _("Oppositions en vigueur par réutilisation refusée"),
                  _("Une barre par réutilisation ; une personne peut en refuser plusieurs."),
                  purposes, [_("En vigueur")], display),
        bar_chart("graphique-ages", _("Oppositions enregistrées par tranche d'âge et par sexe"),
                  _("Deux barres par tranche d'âge à l'enregistrement : femmes puis hommes."),
                  ages, [str(SEX_LABELS[s]) for s in SEXES], display),
    ]


def format_month(month) -> str:
    return month.strftime("%m/%Y")


def format_day(day) -> str:
    return format_date(day, "long")


@bp.get("")
def statistics_page():
    stats = _published()
    return render_template(
        "statistics/page.html", stats=stats, charts=_charts(stats), threshold=THRESHOLD, rounding=stats.rounding,
        closed_until=format_day(stats.closed_until), display=display, format_month=format_month,
        purpose_labels=PURPOSE_LABELS, sex_labels=SEX_LABELS, sexes=SEXES,
        page_title=_("Statistiques"),
    )


def as_json(stats: PublishedStatistics) -> dict:
    """The published figures as plain data; every count under 10 is the string "<10", every other
    one is rounded to the nearest ``rounding``, and only days up to ``closed_until`` are counted."""
    return {
        "closed_until": stats.closed_until.isoformat(),
        "synthetic": stats.synthetic,
        "rounding": stats.rounding,
        "threshold": THRESHOLD,
        "suppressed": SUPPRESSED,
        "masked": MASKED,
        "in_force": raw(stats.active),
        "months": [
            {"month": m.month.strftime("%Y-%m"), "filed": raw(m.filed), "changed": raw(m.changed),
             "withdrawn": raw(m.withdrawn), "in_force": raw(m.active)}
            for m in stats.months
        ],
        "by_purpose": [{"purpose": p.code, "in_force": raw(n)} for p, n in stats.by_purpose],
        "by_age_band_and_sex": [
            {"age_band": band, **{sex: raw(cells[sex]) for sex in SEXES}} for band, cells in stats.by_age_sex
        ],
    }


@bp.get("/data.json")
def statistics_json():
    body = json.dumps(as_json(_published()), ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": "attachment; filename=statistiques-oppositions.json"})


@bp.get("/data.csv")
def statistics_csv():
    data = as_json(_published())
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["table", "key", "series", "value"])
    for key in ("closed_until", "rounding", "threshold", "synthetic"):
        writer.writerow(["metadata", key, "", data[key]])
    for month in data["months"]:
        for series in ("filed", "changed", "withdrawn", "in_force"):
            writer.writerow(["months", month["month"], series, month[series]])
    for row in data["by_purpose"]:
        writer.writerow(["by_purpose", row["purpose"], "in_force", row["in_force"]])
    for row in data["by_age_band_and_sex"]:
        for sex in SEXES:
            writer.writerow(["by_age_band_and_sex", row["age_band"], sex, row[sex]])
    writer.writerow(["total", "all", "in_force", data["in_force"]])
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=statistiques-oppositions.csv"})


def init_app(app: Flask) -> None:
    from portal.pages import add_navigation

    app.register_blueprint(bp, url_prefix="/statistiques")
    app.register_blueprint(bp, url_prefix="/en/statistics", name="statistics_en")
    app.extensions.setdefault("bilingual", {})["statistics"] = "statistics_en"
    add_navigation(app, "statistics.statistics_page", _l("Statistiques"))

