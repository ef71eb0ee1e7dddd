"""Liveness and readiness, for the process supervisor and the load balancer.

``GET /livez`` says the process answers: 200 ``{"status": "alive"}``, without touching the
database (a database outage must not get healthy processes restarted). ``GET /readyz`` says the
node may take traffic: the database answers ``SELECT 1`` and its schema is at the migrations'
head; otherwise 503 ``{"status": "not_ready", "reason": "database" | "schema"}``, and the reason
is logged with the error's type, never its message. A node whose code is ahead of (or behind)
the schema is kept out of the rotation until ``flask registry migrate`` has run.
"""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app, jsonify
from sqlalchemy import text

from registry.db import alembic_config

_HEADS = "operations_schema_heads"


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def livez():
    return _no_store(jsonify({"status": "alive"}))


def schema_heads(app: Flask) -> frozenset[str]:
    """The head revisions of the migrations this code carries, read once per app."""
    if _HEADS not in app.extensions:
        from portal.database import db

        script = ScriptDirectory.from_config(alembic_config(db.engine(app)))
        app.extensions[_HEADS] = frozenset(script.get_heads())
    return app.extensions[_HEADS]


def not_ready_reason(app: Flask) -> str | None:
    """``"database"`` when the database does not answer, ``"schema"`` when its revision is not
    the migrations' head (or cannot be read), None when the node is ready."""
    from portal.database import db

    try:
        connection = db.engine(app).connect()
    except Exception as error:
        return _not_ready(app, "database", error)
    with connection:
        try:
            connection.execute(text("SELECT 1"))
        except Exception as error:
            return _not_ready(app, "database", error)
        try:
            current = frozenset(MigrationContext.configure(connection).get_current_heads())
            expected = schema_heads(app)
        except Exception as error:
            return _not_ready(app, "schema", error)
    if current != expected:
        return _not_ready(app, "schema", None)
    return None


def _not_ready(app: Flask, reason: str, error: Exception | None) -> str:
    cause = f" ({type(error).__name__})" if error is not None else ""
    app.logger.warning("not ready: %s%s", reason, cause)
    return reason


def readyz():
    reason = not_ready_reason(current_app._get_current_object())
    if reason is not None:
        return _no_store(jsonify({"status": "not_ready", "reason": reason})), 503
    return _no_store(jsonify({"status": "ready"}))
