"""Public verification of an attestation: the code and the score together, or nothing is shown."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from campaigns.attestations import format_code, verify_attestation
from portal.database import db
from portal.learning.forms import VerificationForm
from portal.security import limiter

bp = Blueprint("verification", __name__)


@bp.route("/verification", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config.get("VERIFICATION_RATE_LIMIT", "30 per minute"), methods=["POST"])
def verify():
    form = VerificationForm()
    attestation = None
    checked = False
    if request.method == "POST":
        if form.validate_on_submit():
            checked = True
            attestation = verify_attestation(db.session(), form.code.data, form.score.data)
        else:
            return render_template("learning/verify.html", form=form, checked=False, attestation=None), 422
    return render_template("learning/verify.html", form=form, checked=checked, attestation=attestation,
                           format_code=format_code)
