"""FHIR R4 for the warehouses that speak it (filled in by ``portal.fhir.views``)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    pass
