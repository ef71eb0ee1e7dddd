"""The production session store: Redis (``SESSION_STORE_URL=redis://...``), shared by every
process. Ending a session there ends it for every copy of the cookie, and Redis holds only
sealed content under keys that do not give the cookie back."""

from __future__ import annotations

import redis
import requests

from tests.portal.sessions.conftest import copy_of, csrf_of, citizen_login
from tests.redis_server import redis_url  # noqa: F401  (a shared fixture)

import pytest


@pytest.fixture
def portal_config(portal_config, redis_url):  # noqa: F811
    return {**portal_config, "SESSION_STORE_URL": redis_url}


def test_sessions_in_redis_end_at_logout_and_hold_nothing_readable(portal, redis_url):  # noqa: F811
    store = redis.Redis.from_url(redis_url)
    store.flushdb()
    with requests.Session() as citizen:
        citizen_login(citizen, portal, "demo-marie-corse")
        thief = copy_of(citizen)
        page = thief.get(portal.url + "/mon-espace", timeout=10).text
        assert "Bonjour Marie" in page
        keys = store.keys("registre:session:*")
        cookie = citizen.cookies.get(portal.app.config["SESSION_COOKIE_NAME"])
        assert len(keys) == 1 and cookie.encode() not in keys[0]
        sealed = store.get(keys[0])
        assert b"Marie" not in sealed and b"1985" not in sealed and b"identity" not in sealed
        assert 0 < store.ttl(keys[0]) <= portal.app.config["SESSION_IDLE_LIFETIME"]
        citizen.post(portal.url + "/deconnexion", data={"csrf_token": csrf_of(page)}, allow_redirects=False, timeout=10)
    assert keys[0] not in store.keys("registre:session:*")
    answer = thief.get(portal.url + "/mon-espace", allow_redirects=False, timeout=10)
    assert answer.status_code == 302 and "/connexion" in answer.headers["Location"]
