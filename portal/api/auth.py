"""OAuth2 for the API: the token endpoint (client credentials) and bearer-token protection.

The token endpoint is authlib's ``AuthorizationServer`` with the client credentials grant,
accepting ``client_secret_basic`` and ``client_secret_post``. The bearer check on every other
call is a few lines here (RFC 6750's ``Authorization: Bearer`` header, then one query): it runs
on every request, where authlib's resource protector cost more than a single lookup. The
registry stores clients and token hashes (``registry.warehouses``); this module only adapts them
and turns errors into problem details.
"""

from __future__ import annotations

import functools

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc6749.authenticate_client import authenticate_client_secret_basic
from authlib.oauth2.rfc6749.errors import InvalidScopeError
from flask import Flask, g, request

from registry.db import DriverConnection, unit_of_work
from registry.warehouses import (
    MAX_TOKEN_LIFETIME,
    SCOPES,
    AuthenticatedClient,
    Warehouse,
    authenticate_token,
    check_client_secret,
    store_token,
)

from portal.api.problems import ApiProblem, problem_response
from portal.database import db


class WarehouseClient(ClientMixin):
    """A registry warehouse as authlib sees an OAuth2 client."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse

    def get_client_id(self):
        return self.warehouse.client_id

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        allowed = self.warehouse.scope.split()
        if not scope:
            return " ".join(allowed)
        return " ".join(s for s in allowed if s in scope.split())

    def check_redirect_uri(self, redirect_uri):
        return False

    def check_client_secret(self, client_secret):
        return check_client_secret(self.warehouse, client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return endpoint == "token" and method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return False

    def check_grant_type(self, grant_type):
        return grant_type == "client_credentials"


class UnknownClient(ClientMixin):
    """What an unknown or disabled client id stands for: its secret is checked against a dummy
    hash (as long as a real check) and never matches, so the answer is ``invalid_client`` after
    the same time as a wrong secret."""

    def get_client_id(self):
        return None

    def check_client_secret(self, client_secret):
        return check_client_secret(None, client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return endpoint == "token" and method in ("client_secret_basic", "client_secret_post")


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def validate_token_request(self):
        """authlib's checks, then: every scope asked for must be granted to this client
        (``invalid_scope``), rather than a token with the scopes silently dropped."""
        super().validate_token_request()
        asked = set((self.request.payload.scope or "").split())
        granted = set(self.request.client.warehouse.scope.split())
        if not asked <= granted:
            raise InvalidScopeError(description="This client is not granted: " + " ".join(sorted(asked - granted)))


class RegistryAuthorizationServer(AuthorizationServer):
    """authlib's server; its errors go out as problem details that keep the OAuth2 members
    (``error``, ``error_description``) that OAuth2 client libraries read."""

    def handle_response(self, status_code, payload, headers):
        if status_code >= 400 and isinstance(payload, dict):
            code = str(payload.get("error", "bad_request"))
            response = problem_response(status_code, code, payload.get("error_description"), **payload)
            for name, value in headers:
                if name.lower() != "content-type":
                    response.headers[name] = value
            return response
        return super().handle_response(status_code, payload, headers)


def _client_secret_basic(query_client, oauth_request):
    """authlib's ``client_secret_basic``, also for credentials that are not UTF-8 (authlib's own
    raises on them: a 500). No client id is anything but ASCII, so such a request names no
    client: it costs the dummy argon2 check, as any unknown client does, and goes on to
    ``invalid_client`` like a wrong secret."""
    try:
        return authenticate_client_secret_basic(query_client, oauth_request)
    except UnicodeDecodeError:
        UnknownClient().check_client_secret("")
        return None


def _query_client(client_id):
    warehouse = None
    if isinstance(client_id, str) and len(client_id) <= 48:
        warehouse = db.session().query(Warehouse).filter_by(client_id=client_id).one_or_none()
    return WarehouseClient(warehouse) if warehouse is not None and warehouse.active else UnknownClient()


def _save_token(token, oauth_request):
    warehouse_id = oauth_request.client.warehouse.id
    with unit_of_work(db.session()) as session:
        warehouse = session.get(Warehouse, warehouse_id)
        store_token(session, warehouse, token["access_token"], token.get("scope", ""), int(token["expires_in"]))


def requested_client_id() -> str | None:
    """The client id a token request names (basic authentication, or the form), unchecked."""
    if request.authorization is not None and request.authorization.type == "basic":
        return request.authorization.username
    value = request.form.get("client_id")
    return value if isinstance(value, str) else None


_REALM = 'Bearer realm="registre"'


def _invalid_token() -> ApiProblem:
    return ApiProblem(401, "invalid_token", headers={"WWW-Authenticate": _REALM + ', error="invalid_token"'})


def bearer_token() -> str:
    """The access token of the ``Authorization: Bearer ...`` header (RFC 6750), or a 401."""
    header = request.environ.get("HTTP_AUTHORIZATION")  # what request.headers reads, without its wrapper
    if not header:
        raise ApiProblem(401, "missing_token", headers={"WWW-Authenticate": _REALM})
    kind, _, token = header.partition(" ")
    token = token.strip()
    if kind.lower() != "bearer" or not token or len(token) > 200:
        raise _invalid_token()
    return token


def admit(client: AuthenticatedClient | None, scope: str) -> AuthenticatedClient:
    """The client of this call, who must hold ``scope`` (401 without a valid token, 403 without
    the scope); it is then ``current_client()``."""
    if client is None:
        raise _invalid_token()
    if scope not in client.scopes:
        raise ApiProblem(403, "insufficient_scope", "This token's scope does not allow this call.",
                         headers={"WWW-Authenticate": _REALM + f', error="insufficient_scope", scope="{scope}"'})
    g.api_client = client
    return client


def client_required(scope: str):
    """Decorator: a valid token with ``scope``; the warehouse is then ``current_client()``.

    The token is checked on every call against the database (one indexed query), so a token
    expires on time and a disabled client's tokens stop at once.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            admit(authenticate_token(api_reader(), bearer_token()), scope)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def api_reader() -> DriverConnection:
    """This request's driver connection for the hot reads (token check, lookups), returned to
    the pool when the request ends."""
    reader = g.get("api_reader")
    if reader is None:
        reader = g.api_reader = db.readers().take()
    return reader


def close_api_reader(_error=None) -> None:
    reader = g.pop("api_reader", None)
    if reader is not None:
        db.readers().give_back(reader)


def current_client() -> AuthenticatedClient:
    return g.api_client


def init_app(app: Flask) -> None:
    lifetime = int(app.config.get("API_TOKEN_LIFETIME", 900))
    app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {
        "client_credentials": min(lifetime, int(MAX_TOKEN_LIFETIME.total_seconds()))}
    app.config["OAUTH2_SCOPES_SUPPORTED"] = list(SCOPES)
    server = RegistryAuthorizationServer(query_client=_query_client, save_token=_save_token)
    server.init_app(app)
    server.register_grant(ClientCredentialsGrant)
    server.register_client_auth_method("client_secret_basic", _client_secret_basic)
    app.teardown_appcontext(close_api_reader)
    app.extensions["oauth2_server"] = server


def authorization_server() -> RegistryAuthorizationServer:
    from flask import current_app

    return current_app.extensions["oauth2_server"]
