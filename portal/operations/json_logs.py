"""Log lines as JSON objects, one per line, for the log collector (``LOG_FORMAT = "json"``,
``REGISTRE_LOG_FORMAT=json``; ``"text"``, the default, leaves logging as Flask sets it).

Each line holds ``time`` (ISO 8601, UTC, ``Z``), ``level``, ``logger`` and ``message``, and in a
request ``request_id`` (random, one per request, to group its lines) and ``endpoint``. Never an
address: the filter of ``portal.log_privacy`` has already taken it out of werkzeug's request lines
when they reach the handler; never a query string: it is cut from any request line or URL in a
message. An exception adds its type only: its message and traceback may quote a request.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import secrets
import sys

from flask import Flask, g, has_request_context, request
from flask.logging import default_handler

# a query string in a request line ("GET /path?query HTTP/1.1") or in a URL
_QUERY_STRING = re.compile(r'((?:\b[A-Z]{3,7} |https?://)[^\s?"]*)\?[^\s"]*')


def without_query_strings(message: str) -> str:
    return _QUERY_STRING.sub(r"\1", message)


def request_id() -> str:
    """The current request's id, drawn at its first log line."""
    if "log_request_id" not in g:
        g.log_request_id = secrets.token_hex(8)
    return g.log_request_id


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        moment = dt.datetime.fromtimestamp(record.created, dt.timezone.utc)
        line = {
            "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": without_query_strings(record.getMessage()),
        }
        if has_request_context():
            line["request_id"] = request_id()
            line["endpoint"] = request.endpoint
        if record.exc_info and record.exc_info[0] is not None:
            line["exception"] = record.exc_info[0].__name__
        return json.dumps(line, ensure_ascii=False, default=str)


class JsonHandler(logging.StreamHandler):
    """The root logger's handler in JSON mode, added once per process: it writes to whatever
    ``sys.stderr`` is at the time of each record (as ``logging.lastResort`` does)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def install(app: Flask) -> None:
    """Route the app's records and every other logger's through one JSON handler on the root."""
    root = logging.getLogger()
    if not any(isinstance(handler, JsonHandler) for handler in root.handlers):
        root.addHandler(JsonHandler())
    app.logger.removeHandler(default_handler)  # the app's records reach the root's handler


def init_app(app: Flask) -> None:
    if app.config["LOG_FORMAT"] == "json":
        install(app)
