"""The lookups' audit counts and transparency records, gathered per process and written in
groups (``registry.lookup_records``): every ``API_RECORD_INTERVAL`` seconds at most, and when
the process exits."""

from __future__ import annotations

import atexit

from flask import Flask, current_app

from registry.lookup_records import LookupRecorder

from portal.database import db


def init_app(app: Flask) -> None:
    app.config.setdefault("API_RECORD_INTERVAL", 1.0)
    recorder = LookupRecorder(float(app.config["API_RECORD_INTERVAL"]))
    app.extensions["lookup_recorder"] = recorder
    atexit.register(_write_at_exit, app, recorder)


def lookup_recorder() -> LookupRecorder:
    return current_app.extensions["lookup_recorder"]


def write_records(recorder: LookupRecorder) -> None:
    """Write what was gathered; a failure is logged and the records kept for the next write."""
    try:
        recorder.write(db.session())
    except Exception as error:  # the answers were right; the records wait for the next turn
        current_app.logger.error("lookup records not written yet: %s", type(error).__name__)


def _write_at_exit(app: Flask, recorder: LookupRecorder) -> None:
    if not recorder.pending:
        return
    with app.app_context():
        try:
            recorder.write(db.session())
        except Exception as error:
            app.logger.error("lookup records lost at exit: %s", type(error).__name__)
