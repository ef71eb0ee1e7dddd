"""The live-server fixtures of the API tests, for the client tests."""

from tests.portal.api.conftest import api_app, live  # noqa: F401
