"""Error pages: 400, 403, 404, 405, 429, 500 and 503 as DSFR pages in the visitor's language.

The language comes from the address (``/en/...`` is English), so an unknown English address
gets the English 404. No page ever shows a trace: the 500 handler logs the exception's type and
the route (never the request's content, which may hold a number) and renders a fixed text.
A database that cannot be reached is a 503 ("come back later"), not a 500. If the error page
itself cannot be rendered (the database is down while the layout asks who is logged in), a
minimal page without the layout is sent instead.

The lookup API keeps its own JSON problem responses (its blueprint's handlers come first).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from markupsafe import escape
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from registry.db import unavailable

from portal.api import api_path, unexpected_problem
from portal.api.problems import from_http_exception


@dataclass(frozen=True)
class ErrorText:
    title: object
    lead: object
    advice: object


ERROR_TEXTS = {
    400: ErrorText(_l("Demande incorrecte"), _l("Votre navigateur a envoyé une demande que nous ne comprenons pas."),
                   _l("Revenez à la page précédente et réessayez. Si le problème continue, contactez-nous.")),
    403: ErrorText(_l("Accès refusé"), _l("Vous n'avez pas le droit d'accéder à cette page."),
                   _l("Si vous pensez que c'est une erreur, connectez-vous avec le bon compte ou contactez-nous.")),
    404: ErrorText(_l("Page non trouvée"), _l("La page que vous cherchez est introuvable. Excusez-nous pour la gêne occasionnée."),
                   _l("Si vous avez tapé l'adresse web dans le navigateur, vérifiez qu'elle est correcte. La page n'est peut-être plus disponible.")),
    405: ErrorText(_l("Action impossible"), _l("Cette page ne permet pas cette action."),
                   _l("Revenez à la page précédente et réessayez.")),
    429: ErrorText(_l("Trop de demandes"), _l("Vous avez fait trop de demandes en peu de temps."),
                   _l("Patientez une minute, puis réessayez.")),
    500: ErrorText(_l("Erreur inattendue"), _l("Désolés, le service rencontre un problème. Nous y travaillons pour le résoudre le plus rapidement possible."),
                   _l("Essayez de rafraîchir la page ou réessayez un peu plus tard. Votre demande n'a peut-être pas été enregistrée : vérifiez-le dans votre espace.")),
    503: ErrorText(_l("Service indisponible"), _l("Le service est momentanément indisponible."),
                   _l("Réessayez dans quelques minutes. Vous pouvez aussi faire votre demande par téléphone, au guichet ou par courrier.")),
}

HANDLED = tuple(ERROR_TEXTS)
RETRY_AFTER_SECONDS = 120


def render_error(status: int):
    """The DSFR error page for ``status``; a bare page if the layout itself fails."""
    text = ERROR_TEXTS[status]
    try:
        body = render_template("errors/error.html", status=status, text=text, page_title=str(text.title))
    except Exception as error:  # noqa: BLE001 - an error page must never fail
        current_app.logger.error("error page %s could not be rendered: %s", status, type(error).__name__)
        body = (f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>{escape(text.title)}</title></head>'
                f"<body><main><h1>{escape(text.title)}</h1><p>{escape(text.lead)}</p><p>{escape(text.advice)}</p>"
                "</main></body></html>")
    response = current_app.make_response((body, status))
    if status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def _rollback() -> None:
    """Leave nothing half-written behind an error."""
    from flask import g

    session = g.get("db_session")
    if session is not None:
        try:
            session.rollback()
        except Exception:  # noqa: BLE001 - the connection may be gone
            pass


def http_error(error: HTTPException):
    if api_path():  # an API address that matched no route (a wrong method, TRACE...): a problem too
        return from_http_exception(error)
    return render_error(error.code if error.code in ERROR_TEXTS else 500)


def server_error(error: InternalServerError):
    original = getattr(error, "original_exception", None) or error
    _rollback()
    if api_path():
        return unexpected_problem(original)
    if unavailable(original):  # the session store or the database failed outside a view
        current_app.logger.error("database unavailable on %s %s: %s", request.method, request.url_rule,
                                 type(original).__name__)
        return render_error(503)
    current_app.logger.error("unexpected error on %s %s: %s", request.method, request.url_rule, type(original).__name__)
    return render_error(500)


def database_unavailable(error: OperationalError):
    _rollback()
    if api_path():
        return unexpected_problem(error)
    current_app.logger.error("database unavailable on %s %s: %s", request.method, request.url_rule, type(error).__name__)
    return render_error(503)


def init_app(app: Flask) -> None:
    for status in HANDLED:
        if status not in (500, 503):
            app.register_error_handler(status, http_error)
    app.register_error_handler(InternalServerError, server_error)
    app.register_error_handler(ServiceUnavailable, http_error)
    app.register_error_handler(OperationalError, database_unavailable)
