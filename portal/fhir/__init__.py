"""FHIR R4 for the warehouses that speak it, under ``/fhir/r4``: the server's
``CapabilityStatement`` (``metadata``), the ``$opposition-check`` operation (the lookup API in a
``Parameters`` resource: same token, scope, quota, permits and records) and its
``OperationDefinition``; and the citizen's "Mes données" as a ``Bundle`` of ``Consent`` resources
(``portal.fhir.consent``). Errors are ``OperationOutcome`` resources carrying the lookup API's
stable problem codes.
"""

from __future__ import annotations

from flask import Flask

PREFIX = "/fhir/r4"
FHIR_JSON = "application/fhir+json"


def init_app(app: Flask) -> None:
    from portal.extensions import csrf
    from portal.fhir import consent, views
    from portal.pages import register_bilingual

    csrf.exempt(views.bp)
    app.register_blueprint(views.bp)
    register_bilingual(app, consent.bp)
