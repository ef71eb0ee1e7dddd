"""API calls skip the pages' cookie session and rate limiter; the pages keep both."""

import logging

from flask import request

from portal import create_app
from portal.api.pages_only import PagesSessionInterface
from tests.conftest import TEST_IDENTIFIER_KEY, TEST_OPRF_KEY


def test_the_app_finds_the_pages_limiter_hooks_to_skip_on_api_calls(caplog, tmp_path):
    with caplog.at_level(logging.WARNING):
        app = create_app({"TESTING": True, "SECRET_KEY": "s", "DATABASE_URL": f"sqlite:///{tmp_path}/a.db",
                          "IDENTIFIER_KEY": TEST_IDENTIFIER_KEY, "OPRF_KEY": TEST_OPRF_KEY})
    assert "rate limiter hooks were not all found" not in caplog.text
    assert isinstance(app.session_interface, PagesSessionInterface)


def test_an_api_call_gets_no_cookie_session_and_a_page_gets_one(app):
    interface = app.session_interface
    with app.test_request_context("/api/v1/purposes"):
        assert interface.is_null_session(interface.open_session(app, request._get_current_object()))
    with app.test_request_context("/"):
        assert not interface.is_null_session(interface.open_session(app, request._get_current_object()))
