"""The public developer pages: the guide (what a warehouse must do, how to connect, examples,
errors, quotas, freshness) and the API reference rendered from the OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import get_locale, gettext as _

from registry.identifiers import REASONS
from registry.private_quota import DAILY_FACTOR, TOTAL_FACTOR
from registry.warehouses import MAX_TOKEN_LIFETIME, SCOPES

from portal.api.problems import TITLES
from portal.developers import reference
from portal.developers.examples import NOT_OPPOSED, OPPOSED, examples

bp = Blueprint("developers", __name__)


def api_url() -> str:
    """This instance's own address, as the caller reached it (behind the trusted proxies)."""
    return request.url_root.rstrip("/")


def facts() -> dict:
    """The settings the guide states: read from the running configuration, never written twice."""
    config = current_app.config
    return {
        "validity_days": config["ANSWER_VALIDITY_DAYS"],
        "api_rate_limit": config["API_RATE_LIMIT"],
        "token_rate_limit": config["TOKEN_RATE_LIMIT"],
        "token_minutes": int(MAX_TOKEN_LIFETIME.total_seconds() // 60),
        "jobs_retention_days": config["JOBS_RETENTION_DAYS"],
        "daily_factor": DAILY_FACTOR,
        "total_factor": TOTAL_FACTOR,
        "link_hours": config["ACCESS_LINK_HOURS"],
        "request_retention_days": config["ACCESS_REQUEST_RETENTION_DAYS"],
        "sandbox": bool(config["SANDBOX"]),
        "sandbox_url": config.get("SANDBOX_URL"),
        "client_package": config["CLIENT_PACKAGE"],
    }


def all_problems() -> list[tuple[str, str]]:
    """Every problem code the API may answer, the sandbox's own included."""
    from portal.developers.sandbox import SANDBOX_PROBLEMS

    return sorted({**TITLES, **SANDBOX_PROBLEMS}.items())


@bp.get("/")
def guide():
    return render_template(
        f"developers/guide_{get_locale().language}.html", page_title=_("Développeurs : se connecter au registre"),
        facts=facts(), examples=examples(api_url()), api_url=api_url(), problems=all_problems(),
        identifier_reasons=sorted(REASONS.items()), scopes=SCOPES, opposed=OPPOSED, not_opposed=NOT_OPPOSED,
    )


@bp.get("/reference-api")
def api_reference():
    document = reference.served_document()
    return render_template(
        "developers/reference.html", page_title=_("Référence de l'API"), info=document.get("info", {}),
        version=document.get("openapi"), operations=reference.operations(document),
        schemas=reference.schemas(document), security_schemes=reference.security_schemes(document),
        problems=all_problems(), code_spans=reference.code_spans,
    )
