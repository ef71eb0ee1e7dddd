"""Issue 17, line 3: an attempt is reserved before its password is checked, so parallel
attempts get no more checks than sequential ones; a refusal reads and costs the same for a
known account and an unknown email."""

from __future__ import annotations

import collections
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import select

import registry.staff
from portal.database import db
from registry.models import AuditEvent
from registry.staff import find_account
from tests.portal.sessions.conftest import make_staff, post_password

pytestmark = pytest.mark.db


class CountingHasher:
    """The argon2 hasher, counting each verification by the hash it was checked against."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.checked: collections.Counter = collections.Counter()
        self._lock = threading.Lock()

    def verify(self, password_hash, password):
        with self._lock:
            self.checked[password_hash] += 1
        return self.inner.verify(password_hash, password)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.fixture
def hasher(monkeypatch):
    counting = CountingHasher(registry.staff._password_hasher)
    monkeypatch.setattr(registry.staff, "_password_hasher", counting)
    return counting


@pytest.fixture
def portal_config(portal_config):
    return {**portal_config, "STAFF_FREE_ATTEMPTS": 3, "STAFF_BASE_DELAY": 60.0, "STAFF_LOCK_AFTER": 10}


def failures(portal, email):
    with portal.app.app_context():
        account = find_account(db.session(), email)
        events = db.session().scalars(select(AuditEvent.action).where(AuditEvent.target == account.reference)).all()
        return account.failed_attempts, events.count("staff.login_failed"), account.password_hash


def test_twenty_parallel_wrong_passwords_get_at_most_the_free_attempts_checked(portal, hasher):
    email = make_staff(portal, "agent@sante.gouv.fr")
    sessions = [requests.Session() for _ in range(20)]
    for browser in sessions:  # each its own sign-in page and CSRF token, fetched first
        browser.get(portal.url + "/staff/connexion", timeout=10)
    barrier = threading.Barrier(20)

    def attempt(browser):
        barrier.wait()
        return post_password(browser, portal, email, password="pas le bon mot de passe").status_code

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(attempt, sessions))
    assert answers == [422] * 20
    counted, audited, real_hash = failures(portal, email)
    assert 1 <= hasher.checked[real_hash] <= 3
    assert audited == hasher.checked[real_hash]  # every check that failed is on the record, no more
    assert counted >= audited
    assert sum(hasher.checked.values()) == 20  # every refusal cost one check (the others a dummy one)
    # the right password is refused too while the delay runs: the lock cannot be raced past
    assert post_password(requests.Session(), portal, email).status_code == 422


def words(page: str) -> str:
    main = re.search(r"<main.*</main>", page, re.S).group(0)
    return re.sub(r'value="[^"]*"', "", main)


def test_a_locked_account_and_an_unknown_email_are_refused_alike(portal, hasher):
    email = make_staff(portal, "agent@sante.gouv.fr")
    for _ in range(3):
        post_password(requests.Session(), portal, email, password="pas le bon mot de passe")
    before = sum(hasher.checked.values())
    known = post_password(requests.Session(), portal, email)  # the right password, while the delay runs
    unknown = post_password(requests.Session(), portal, "personne@sante.gouv.fr")
    assert known.status_code == unknown.status_code == 422
    assert words(known.text).replace(email, "") == words(unknown.text).replace("personne@sante.gouv.fr", "")
    assert sum(hasher.checked.values()) - before == 2  # one argon2 check each
