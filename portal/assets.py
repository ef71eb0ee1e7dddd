"""The French state design system (DSFR), served from the npm install, never committed.

``./run`` and ``./test`` run ``npm ci``, which puts the pinned ``@gouvfr/dsfr`` under
``node_modules/`` (git-ignored). The portal serves its ``dist/`` folder under ``/static/dsfr/``,
except the analytics module, which is never loaded: the registry measures nothing on the
visitor's device.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, send_from_directory

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DSFR_DIST = ROOT / "node_modules" / "@gouvfr" / "dsfr" / "dist"
REFUSED_FOLDERS = ("analytics",)

bp = Blueprint("dsfr", __name__)


@bp.get("/static/dsfr/<path:filename>")
def asset(filename: str):
    """One file of the design system; the analytics module and source maps are not served."""
    if filename.split("/", 1)[0] in REFUSED_FOLDERS or filename.endswith(".map"):
        abort(404)
    return send_from_directory(current_app.config["DSFR_DIST"], filename, max_age=86400)


def init_app(app: Flask) -> None:
    app.config.setdefault("DSFR_DIST", str(DEFAULT_DSFR_DIST))
    app.register_blueprint(bp)
