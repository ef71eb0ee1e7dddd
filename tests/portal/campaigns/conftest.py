"""Campaign-manager tests sign in through the back-office pages, as the staff tests do."""

from __future__ import annotations

import pytest

from tests.portal.staff.conftest import make_staff, sign_in  # noqa: F401  (fixtures)


@pytest.fixture
def manager(make_staff, sign_in):
    email = make_staff("campaign_manager")
    sign_in(email)
    return email
