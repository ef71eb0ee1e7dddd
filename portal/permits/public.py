"""The public register of data permits (``/autorisations-d-acces``, English twin under ``/en``):
each permit that a warehouse may name when it consults the registry, with how many people's
oppositions were applied under it, and the list of public-interest exceptions with how many
people each covered. Counts come from ``registry.permits.public_register``, suppressed under
10 and rounded as the statistics are; this layer only formats them."""

from __future__ import annotations

from flask import Blueprint, render_template

from registry.permits import public_register
from registry.statistics import ROUNDING, THRESHOLD

from portal.database import db
from portal.labels import PURPOSE_LABELS
from portal.statistics import display

bp = Blueprint("permits", __name__)


@bp.get("")
def register():
    lines = public_register(db.session())
    return render_template("permits/register.html", lines=lines, exceptions=[l for l in lines if l.permit.has_exception],
                           display=display, purpose_labels=PURPOSE_LABELS, threshold=THRESHOLD, rounding=ROUNDING)
