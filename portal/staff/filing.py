"""Assisted filing: an agent files, changes or withdraws an opposition for a person at the
counter, on the phone or by post, after checking the number against the person's sex and birth
date. The version records the channel, the actor ``agent`` and the agent's account; the receipt
is shown after the commit. The person sees the same record in their own space later.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from registry.db import write_turn
from registry.errors import NoActiveOpposition, NothingChosen
from registry.identifiers import IdentityMismatch, InvalidIdentifier, check_identity, parse_identifier
from registry.models import OppositionVersion
from registry.oppositions import Filing, current_opposition, file_opposition, withdraw_opposition
from registry.purposes import purpose_from_code

from portal.database import db
from portal.keys import keyring
from portal.staff import bp
from portal.labels import CHANNEL_LABELS, PURPOSE_LABELS
from portal.staff.forms import AssistedFilingForm
from portal.staff.identity_messages import IDENTIFIER_MESSAGES, IDENTITY_MESSAGES
from portal.staff.session import current_staff, staff_required


@bp.route("/depot", methods=["GET", "POST"])
@staff_required("agent")
def assisted_filing():
    form = AssistedFilingForm()
    if form.validate_on_submit():
        session = db.session()
        session.commit()  # end the reads: the filing is a write transaction of its own (see registry.db)
        with write_turn(session):
            version = _file(form)
            if version is None:
                session.rollback()
            else:
                session.commit()
        if version is not None:
            return redirect(url_for("staff.receipt", reference=version.receipt_reference))
    if form.birthdate.errors and form.birthdate.data is None:  # unreadable or missing date
        form.birthdate.errors = [_("Saisissez la date de naissance au format JJ/MM/AAAA.")]
    status = 422 if form.errors else 200
    return render_template("staff/filing.html", form=form), status


def _file(form: AssistedFilingForm) -> OppositionVersion | None:
    """Check the identity and write; on a refusal, put the message on its field and return None."""
    try:
        identifier = parse_identifier(form.identifier.data,
                                      allow_test_identifiers=current_app.config["ALLOW_TEST_IDENTIFIERS"])
    except InvalidIdentifier as error:
        form.identifier.errors.append(IDENTIFIER_MESSAGES[error.code])
        return None
    try:
        check_identity(identifier, gender=form.sex.data, birthdate=form.birthdate.data)
    except IdentityMismatch as error:
        field, message = IDENTITY_MESSAGES[error.code]
        getattr(form, field).errors.append(message)
        return None
    account = current_staff()
    filing = Filing(channel=form.channel.data, actor="agent", filed_by=account.reference)
    session, keys = db.session(), keyring()
    try:
        if form.request.data == "withdraw":
            return withdraw_opposition(session, keys, identifier, filing)
        purposes = None
        if form.request.data == "some":
            purposes = [purpose_from_code(code) for code in form.purposes.data or []]
            if not purposes:
                raise NothingChosen()
        before = current_opposition(session, keys, identifier)
        version = file_opposition(session, keys, identifier, purposes, filing)
        if before.version is not None and before.version.id == version.id:
            flash(_("Cette opposition était déjà en vigueur, sans changement : voici son récépissé."), "info")
        return version
    except NothingChosen:
        form.purposes.errors.append(_("Cochez au moins une réutilisation refusée, ou choisissez une autre demande."))
    except NoActiveOpposition:
        form.request.errors.append(_("Cette personne n'a pas d'opposition en cours : il n'y a rien à retirer."))
    return None


@bp.get("/recu/<reference>")
@staff_required("agent")
def receipt(reference: str):
    version = db.session().scalars(
        select(OppositionVersion).where(OppositionVersion.receipt_reference == reference[:32])
    ).one_or_none()
    if version is None:
        abort(404)
    return render_template(
        "staff/receipt.html",
        version=version,
        purposes=[PURPOSE_LABELS[p] for p in version.purposes],
        channel=CHANNEL_LABELS.get(version.channel, version.channel),
    )
