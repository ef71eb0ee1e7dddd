"""What the pages need on every request and the API's calls do not: the cookie session (a
bearer token authenticates each call) and the pages' rate limiter (the API counts its calls
against the warehouses' quotas, ``portal.api.quota``, and the pages' limiter has no limit on it).

Both run as app-wide hooks, on every request. On a single lookup, opening and saving the
session, the limiter's three hooks and the security headers cost about as much as the lookup's
own work in the API process (profiled under load), so API calls skip the first two.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial, wraps

from flask import Flask, request
from flask.sessions import SessionInterface

from portal.api import PREFIX
from portal.security import limiter

_API_PATHS = (PREFIX + "/", "/fhir/r4/")  # the lookup API and its FHIR face (``portal.fhir``)


def api_call() -> bool:
    return request.path.startswith(_API_PATHS)


class PagesSessionInterface(SessionInterface):
    """The pages' session (``pages``: the server-side sessions of ``portal.sessions``); an API
    call gets Flask's null session, which is neither read nor saved (reading it finds nothing;
    writing to it fails)."""

    def __init__(self, pages: SessionInterface) -> None:
        self.pages = pages

    def open_session(self, app: Flask, request):
        if api_call():
            return self.make_null_session(app)
        return self.pages.open_session(app, request)

    def save_session(self, app: Flask, session, response) -> None:
        self.pages.save_session(app, session, response)


def _limiter_hook(function: Callable) -> bool:
    return getattr(function, "__self__", None) is limiter or (
        isinstance(function, partial) and limiter in function.args)


def _pages_only(hook: Callable, returns_response: bool) -> Callable:
    @wraps(hook)
    def pages_only(*args):
        if api_call():
            return args[0] if returns_response else None
        return hook(*args)

    return pages_only


def skip_on_api_calls(app: Flask) -> int:
    """Give the app the pages' session interface, and run the pages' limiter hooks (registered
    by ``limiter.init_app``) on pages only. Returns how many limiter hooks it found."""
    app.session_interface = PagesSessionInterface(app.session_interface)
    found = 0
    for hooks, returns_response in ((app.before_request_funcs, False), (app.after_request_funcs, True),
                                    (app.teardown_request_funcs, False)):
        functions = hooks.get(None, [])
        for index, function in enumerate(functions):
            if _limiter_hook(function):
                functions[index] = _pages_only(function, returns_response)
                found += 1
    return found
