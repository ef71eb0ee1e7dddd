"""Warehouse clients and tokens, at the service level."""

import datetime as dt

import pytest

from registry.errors import RegistryError
from registry.models import utcnow
from registry.warehouses import (
    InvalidScope,
    authenticate_token,
    check_client_secret,
    create_warehouse,
    disable_warehouse,
    get_warehouse,
    rotate_secret,
    store_token,
)

pytestmark = pytest.mark.db


def test_the_secret_checks_only_while_the_client_is_active(session):
    credentials = create_warehouse(session, "CHU de Test")
    warehouse = get_warehouse(session, credentials.client_id)
    assert check_client_secret(warehouse, credentials.client_secret)
    assert not check_client_secret(warehouse, credentials.client_secret + "x")
    disable_warehouse(session, credentials.client_id)
    assert not check_client_secret(warehouse, credentials.client_secret)


def test_a_token_names_its_warehouse_until_it_expires_or_the_secret_rotates(session):
    credentials = create_warehouse(session, "CHU de Test", scope="lookup")
    warehouse = get_warehouse(session, credentials.client_id)
    store_token(session, warehouse, "token-1", "lookup", 900)
    client = authenticate_token(session, "token-1")
    assert (client.client_id, client.scopes) == (credentials.client_id, frozenset({"lookup"}))
    assert authenticate_token(session, "token-2") is None
    rotate_secret(session, credentials.client_id)
    assert authenticate_token(session, "token-1") is None


def test_a_token_never_outlives_15_minutes(session):
    warehouse = get_warehouse(session, create_warehouse(session, "EDS").client_id)
    token = store_token(session, warehouse, "long", "lookup", 86_400)
    assert token.expires_at - token.issued_at == dt.timedelta(minutes=15)
    assert token.expires_at > utcnow()


def test_names_and_scopes_are_checked(session):
    with pytest.raises(InvalidScope):
        create_warehouse(session, "EDS", scope="admin")
    with pytest.raises(RegistryError):
        create_warehouse(session, "   ")
