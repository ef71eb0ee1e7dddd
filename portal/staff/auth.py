"""Sign-in in two steps (password, then the TOTP code), enrolment by QR code, sign-out.

The first step only remembers, in the signed session, which account passed its password and
when; the account is signed in after the second. A refused step gets one clear message, and
the same message whether the email is unknown or the password wrong.
"""

from __future__ import annotations

import time

import segno
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from registry.db import unit_of_work
from registry.staff import (LockoutPolicy, LoginRefused, check_totp, get_account, password_matches, record_logout,
                            reserve_password_attempt, settle_password_attempt, totp_uri)

from portal.database import db
from portal.staff import bp
from portal.staff.forms import ActionForm, CodeForm, LoginForm
from portal.staff.limits import limiter, login_limit
from portal.redirects import safe_next
from portal.sessions import end_session
from portal.staff.session import PENDING_KEY, current_staff, sign_in, sign_out

PENDING_LIFETIME = 5 * 60

REFUSALS = {
    # Every refusal of the first step, whatever its cause: an email cannot be tested for an account.
    "first_factor": _l("Connexion refusée : l'adresse électronique ou le mot de passe est incorrect, ou trop "
                       "d'essais ont échoué récemment. Vérifiez-les et réessayez dans quelques minutes ; si cela "
                       "continue, demandez à un administrateur du registre."),
    "invalid_credentials": _l("Adresse électronique ou mot de passe incorrect."),
    "invalid_code": _l("Code incorrect. Vérifiez que l'heure de votre téléphone est juste et saisissez le code affiché."),
    "locked": _l("Ce compte est verrouillé après trop d'échecs. Demandez à un administrateur du registre de le déverrouiller."),
}


def refusal_message(refused: LoginRefused) -> str:
    if refused.code == "wait":
        return _("Trop d'échecs : attendez %(seconds)s secondes avant de réessayer.", seconds=refused.retry_after)
    return str(REFUSALS.get(refused.code, REFUSALS["invalid_credentials"]))


def lockout_policy() -> LockoutPolicy:
    config = current_app.config
    return LockoutPolicy(
        free_attempts=int(config["STAFF_FREE_ATTEMPTS"]),
        base_delay=float(config["STAFF_BASE_DELAY"]),
        lock_after=int(config["STAFF_LOCK_AFTER"]),
        lock_duration=float(config["STAFF_LOCK_DURATION"]),
    )


def staff_next(target: str | None) -> str:
    """Only back-office paths: never redirect to another site after sign-in."""
    return safe_next(target, within="/staff/") or url_for("staff.home")


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def login():
    if current_staff() is not None:
        return redirect(url_for("staff.home"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        account = _check_password(form.email.data, form.password.data)
        if account is None:
            error = str(REFUSALS["first_factor"])
        else:
            end_session(session)
            session[PENDING_KEY] = {"id": account.id, "at": int(time.time()), "next": staff_next(request.args.get("next"))}
            return redirect(url_for("staff.second_factor"))
    status = 200 if error is None and not form.errors else 422
    return render_template("staff/login.html", form=form, error=error), status


def _check_password(email: str, password: str):
    """The first factor: the attempt is reserved and committed first (parallel attempts see
    it), the password checked outside any transaction, then the outcome recorded. Every refusal
    (unknown email, wrong password, a delay or a lock) costs one argon2 check and gets the same
    words; None then."""
    database, policy = db.session(), lockout_policy()
    try:
        with unit_of_work(database):
            account = reserve_password_attempt(database, email, policy=policy)
    except LoginRefused:
        account = None
    matches = password_matches(account, password)
    with unit_of_work(database):
        try:
            return settle_password_attempt(database, account, password, matches, policy=policy)
        except LoginRefused:
            return None  # the failure is committed with the unit of work


@bp.route("/connexion/code", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def second_factor():
    pending = session.get(PENDING_KEY)
    if not pending or time.time() - pending.get("at", 0) > PENDING_LIFETIME:
        session.pop(PENDING_KEY, None)
        flash(_("Saisissez d'abord votre adresse électronique et votre mot de passe."), "info")
        return redirect(url_for("staff.login"))
    database = db.session()
    account = get_account(database, pending["id"])
    if account is None:
        session.pop(PENDING_KEY, None)
        return redirect(url_for("staff.login"))
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        refused = None
        with unit_of_work(database):
            try:
                check_totp(database, account, form.code.data, policy=lockout_policy())
            except LoginRefused as caught:
                refused = caught  # the failure is committed with the unit of work
        if refused is not None:
            error = refusal_message(refused)
            if refused.code == "locked":
                session.pop(PENDING_KEY, None)
        else:
            next_url = pending.get("next") or url_for("staff.home")
            sign_in(account)
            flash(_("Vous êtes connecté."), "success")
            return redirect(next_url)
    enrolment = None
    if not account.enrolled:
        uri = totp_uri(account, current_app.config["STAFF_TOTP_ISSUER"])
        enrolment = {
            "qr_svg": segno.make(uri, error="m").svg_inline(scale=4, border=2, omitsize=False),
            "secret": " ".join(account.totp_secret[i : i + 4] for i in range(0, len(account.totp_secret), 4)),
        }
    status = 200 if error is None and not form.errors else 422
    return render_template("staff/code.html", form=form, error=error, enrolment=enrolment), status


@bp.post("/deconnexion")
def logout():
    form = ActionForm()
    account = current_staff()
    if form.validate_on_submit() and account is not None:
        with unit_of_work(db.session()) as database:
            record_logout(database, account, "logout")
    sign_out()
    flash(_("Vous êtes déconnecté."), "success")
    return redirect(url_for("staff.login"))
