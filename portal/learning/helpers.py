"""What the learning views share: the catalogue, the current professional, citizens' cookie progress."""

from __future__ import annotations

from flask import abort, session
from flask_babel import get_locale

from campaigns.learning_models import Professional
from campaigns.modules import Module, default_catalogue
from portal.database import db


def locale() -> str:
    return str(get_locale())


def module_or_404(slug: str) -> Module:
    module = default_catalogue().get(slug, locale())
    if module is None:
        abort(404)
    return module


def current_professional() -> Professional | None:
    """The professional logged in with Pro Santé Connect, by the account id kept in the session."""
    professional_id = session.get("professional_id")
    if not isinstance(professional_id, int):
        return None
    return db.session().get(Professional, professional_id)


def read_progress(module: Module) -> dict:
    """The progress kept in the cookie, read only: showing a page never sets a cookie by itself."""
    return (session.get("learning") or {}).get(f"{module.slug}@{module.version}") or {"lessons": []}


def cookie_progress(module: Module) -> dict:
    """A visitor's progress in a module, kept in the signed session cookie and nowhere else."""
    learning = session.setdefault("learning", {})
    key = f"{module.slug}@{module.version}"
    progress = learning.setdefault(key, {"lessons": []})
    session.modified = True
    return progress
