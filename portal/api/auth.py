"""OAuth2 for the API: the token endpoint (client credentials) and bearer-token protection.

Both are authlib's: its ``AuthorizationServer`` with the client credentials grant, accepting
``client_secret_basic`` and ``client_secret_post``, and its ``ResourceProtector`` with a bearer
validator. The registry stores clients and token hashes (``registry.warehouses``); this module
only adapts them to authlib and turns authlib's errors into problem details.
"""

from __future__ import annotations

import functools

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin, grants
from authlib.oauth2.rfc6749.errors import MissingAuthorizationError
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc6750.errors import InsufficientScopeError
from flask import Flask, g

from registry.db import write_turn
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


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


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


def _query_client(client_id):
    if not isinstance(client_id, str) or len(client_id) > 48:
        return None
    warehouse = db.session().query(Warehouse).filter_by(client_id=client_id).one_or_none()
    return WarehouseClient(warehouse) if warehouse is not None and warehouse.active else None


def _save_token(token, oauth_request):
    warehouse_id = oauth_request.client.warehouse.id
    session = db.session()
    session.commit()  # the client was read; the token is written in a transaction of its own
    with write_turn(session):
        warehouse = session.get(Warehouse, warehouse_id)
        store_token(session, warehouse, token["access_token"], token.get("scope", ""), int(token["expires_in"]))
        session.commit()


class _Token(TokenMixin):
    def __init__(self, client: AuthenticatedClient) -> None:
        self.client = client

    def get_scope(self):
        return " ".join(sorted(self.client.scopes))

    def is_expired(self):
        return False  # authenticate_token only returns unexpired tokens

    def is_revoked(self):
        return False


class RegistryBearerValidator(BearerTokenValidator):
    def authenticate_token(self, token_string):
        if len(token_string) > 200:
            return None
        client = authenticate_token(db.session(), token_string)
        return _Token(client) if client is not None else None


class RegistryResourceProtector(ResourceProtector):
    def raise_error_response(self, error: OAuth2Error):
        if isinstance(error, InsufficientScopeError):
            raise ApiProblem(403, "insufficient_scope", "This token's scope does not allow this call.",
                             headers=dict(error.get_headers()))
        code = "missing_token" if isinstance(error, MissingAuthorizationError) else "invalid_token"
        headers = dict(error.get_headers()) or {}
        headers.setdefault("WWW-Authenticate", 'Bearer realm="registre"')
        raise ApiProblem(401, code, headers=headers)


require_token = RegistryResourceProtector()
require_token.register_token_validator(RegistryBearerValidator(realm="registre"))


def client_required(scope: str):
    """Decorator: a valid token with ``scope``; the warehouse is then ``current_client()``."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            try:
                token = require_token.acquire_token([scope])
            except OAuth2Error as error:
                require_token.raise_error_response(error)
            g.api_client = token.client
            return view(*args, **kwargs)

        return wrapped

    return decorator


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
    app.extensions["oauth2_server"] = server


def authorization_server() -> RegistryAuthorizationServer:
    from flask import current_app

    return current_app.extensions["oauth2_server"]
