"""HTTP hardening: security headers on every response and the rate limiter.

The Content-Security-Policy allows only this origin for scripts, styles, fonts and images (no
``unsafe-inline``, no ``unsafe-eval``), and forms may post only here and to the identity
provider (logout redirects there after a POST). Limits on login and filing are set in
configuration (``LOGIN_RATE_LIMIT``, ``FILING_RATE_LIMIT``); the limiter keeps its counters in
memory by default or in ``RATELIMIT_STORAGE_URI`` (e.g. Redis) when several processes serve.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, render_template, request
from flask_limiter import Limiter


def client_key() -> str:
    """The client's address as the limiter counts it: a keyed hash, so that the limiter's
    storage (Redis in production) holds no IP address. Behind trusted proxies the address is
    the client's, not the proxy's (``ProxyFix``, ``REGISTRE_TRUSTED_PROXIES``)."""
    address = (request.remote_addr or "unknown").encode()
    return "client:" + hmac.new(current_app.secret_key.encode(), address, hashlib.sha256).hexdigest()[:32]


limiter = Limiter(key_func=client_key)


def content_security_policy(form_targets: tuple[str, ...] = ()) -> str:
    form_action = " ".join(("'self'", *form_targets))
    return "; ".join((
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        f"form-action {form_action}",
        "frame-ancestors 'none'",
    ))


def origin_of(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


@functools.lru_cache(maxsize=8)
def security_headers(franceconnect_issuer: str | None, psc_issuer: str | None,
                     production: bool) -> tuple[tuple[str, str, str], ...]:
    """The headers every response carries, as (lower-case name, name, value), for a
    configuration: computed once, not at every response."""
    targets = tuple(o for o in (origin_of(franceconnect_issuer), origin_of(psc_issuer)) if o)
    headers = [
        ("Content-Security-Policy", content_security_policy(targets)),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if production:
        headers.append(("Strict-Transport-Security", "max-age=63072000; includeSubDomains"))
    return tuple((name.lower(), name, value) for name, value in headers)


def set_security_headers(response: Response) -> Response:
    """Add each security header the response does not set itself."""
    config = current_app.config
    wanted = security_headers(config.get("FRANCECONNECT_ISSUER"), config.get("PSC_ISSUER"),
                              bool(config.get("PRODUCTION")))
    present = {name.lower() for name in response.headers.keys()}
    response.headers.extend([(name, value) for lower, name, value in wanted if lower not in present])
    return response


def too_many_requests(_error):
    return render_template("errors/429.html"), 429


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config.setdefault("LOGIN_RATE_LIMIT", "20 per minute")
    app.config.setdefault("FILING_RATE_LIMIT", "10 per minute")
    limiter.init_app(app)
    app.after_request(set_security_headers)
    app.register_error_handler(429, too_many_requests)
