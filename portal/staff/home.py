"""The back-office home (what the signed-in role can do) and what every staff page shows."""

from __future__ import annotations

from flask import render_template
from flask_babel import lazy_gettext as _l

from portal.staff import bp
from portal.staff.forms import ActionForm
from portal.staff.session import current_staff, staff_required

ROLE_LABELS = {
    "agent": _l("agent d'accueil"),
    "campaign_manager": _l("responsable de campagnes"),
    "registry_admin": _l("administrateur du registre"),
}


@bp.context_processor
def staff_context() -> dict:
    account = current_staff()
    return {
        "account": account,
        "logout_form": ActionForm(),
        "role_label": ROLE_LABELS.get(account.role, account.role) if account else None,
    }


@bp.get("/")
@staff_required()
def home():
    return render_template("staff/home.html")
