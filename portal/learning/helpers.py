"""What the learning views share: the catalogue, the current professional, citizens' cookie progress.

A visitor's progress through the modules (lessons read, pre-test, last answers) stays in the
browser: a cookie of its own (``rno_progress``), signed so that it cannot be forged, holding no
identity. It is not part of the server-side session, so an anonymous visitor leaves nothing on
the server; it is cleared when a professional signs in or out on the browser.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from flask import Flask, abort, current_app, g, request, session
from flask_babel import get_locale
from itsdangerous import BadSignature, URLSafeSerializer

from campaigns.learning_models import Professional
from campaigns.modules import Module, default_catalogue
from portal.database import db


def locale() -> str:
    return get_locale().language


def module_or_404(slug: str) -> Module:
    module = default_catalogue().get(slug, locale())
    if module is None:
        abort(404)
    return module


PARIS = ZoneInfo("Europe/Paris")


def retake_wait() -> dt.timedelta:
    """How long a professional waits after an attempt before the next (``LEARNING_RETAKE_WAIT_MINUTES``)."""
    return dt.timedelta(minutes=float(current_app.config["LEARNING_RETAKE_WAIT_MINUTES"]))


def paris_moment(moment: dt.datetime) -> dict[str, str]:
    """``time`` and ``date`` of a moment in Paris time, worded in the page's language."""
    local = moment.astimezone(PARIS)
    return {"time": format_time(local, "HH:mm", tzinfo=PARIS, locale=locale()),
            "date": format_date(local.date(), "d MMMM y", locale=locale())}


def current_professional() -> Professional | None:
    """The professional logged in with Pro Santé Connect, by the account id kept in the session."""
    professional_id = session.get("professional_id")
    if not isinstance(professional_id, int):
        return None
    return db.session().get(Professional, professional_id)


PROGRESS_COOKIE = "rno_progress"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="learning-progress")


def _all_progress() -> dict:
    if "learning_progress" not in g:
        found = {}
        raw = request.cookies.get(PROGRESS_COOKIE)
        if raw:
            try:
                found = _serializer().loads(raw)
            except BadSignature:
                found = {}
        g.learning_progress = found if isinstance(found, dict) else {}
    return g.learning_progress


def read_progress(module: Module) -> dict:
    """The progress kept in the cookie, read only: showing a page never sets a cookie by itself."""
    return _all_progress().get(f"{module.slug}@{module.version}") or {"lessons": []}


def cookie_progress(module: Module) -> dict:
    """A visitor's progress in a module, to change: kept in the progress cookie and nowhere else."""
    g.learning_progress_changed = True
    return _all_progress().setdefault(f"{module.slug}@{module.version}", {"lessons": []})


def forget_progress() -> None:
    """Clear this browser's progress (someone else signs in or out here)."""
    g.learning_progress = {}
    g.learning_progress_changed = True


def save_progress(response):
    if not g.get("learning_progress_changed"):
        return response
    progress = g.learning_progress
    secure = bool(current_app.config.get("SESSION_COOKIE_SECURE"))
    if progress:
        response.set_cookie(PROGRESS_COOKIE, _serializer().dumps(progress), httponly=True, secure=secure,
                            samesite="Lax")
    elif PROGRESS_COOKIE in request.cookies:
        response.delete_cookie(PROGRESS_COOKIE, httponly=True, secure=secure, samesite="Lax")
    return response


def init_app(app: Flask) -> None:
    app.config.setdefault("LEARNING_RETAKE_WAIT_MINUTES", 10)
    app.after_request(save_progress)
