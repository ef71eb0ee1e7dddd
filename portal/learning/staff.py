"""Item statistics for staff: facility and discrimination per question, from 30 answers up.

For signed-in campaign managers and registry admins (the staff login's role check). The
``LEARNING_STATISTICS_OPEN`` setting (off by default) opens the pages without sign-in, for
development: they show per-question aggregates only, never a person.
"""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, current_app, render_template
from flask_babel import lazy_gettext as _l

from campaigns.item_statistics import MINIMUM_ANSWERS, item_statistics
from campaigns.modules import default_catalogue
from portal.database import db
from portal.staff.session import staff_required
from portal.learning.helpers import locale, module_or_404

bp = Blueprint("learning_staff", __name__)

FLAG_LABELS = {
    "too_hard": _l("très difficile"),
    "too_easy": _l("très facile"),
    "negative_discrimination": _l("discrimination négative"),
    "weak_discrimination": _l("discrimination faible"),
}


def _staff_only(view):
    staff_view = staff_required("campaign_manager", "registry_admin")(view)

    @wraps(view)
    def guarded(*args, **kwargs):
        if current_app.config.get("LEARNING_STATISTICS_OPEN"):
            return view(*args, **kwargs)
        return staff_view(*args, **kwargs)

    return guarded


@bp.get("/")
@_staff_only
def modules():
    return render_template("learning/staff_modules.html", modules=sorted(
        (m for (_, loc), m in default_catalogue().modules.items() if loc == locale()), key=lambda m: m.slug))


@bp.get("/<slug>/statistiques")
@_staff_only
def statistics(slug: str):
    module = module_or_404(slug)
    return render_template("learning/statistics.html", module=module, minimum=MINIMUM_ANSWERS,
                           statistics=item_statistics(db.session(), module), flag_labels=FLAG_LABELS)
