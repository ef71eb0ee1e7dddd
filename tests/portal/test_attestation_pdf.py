"""The attestation PDF carries what the issue asks: name, identifier, module and version, duration, date, score, code."""

import datetime as dt

from campaigns.learning_models import Attestation
from portal.learning.pdf import attestation_pdf
from tests.pdf_text import pdf_text


def test_the_pdf_names_the_holder_module_version_duration_date_score_and_code(app):
    attestation = Attestation(
        code="ABCDEFGHJKMN", holder_name="Camille Martin-Durand", professional_identifier="899700218896",
        module_slug="informer-patient", module_version=3, module_title="Informer un patient",
        locale="fr", duration_minutes=20, score=80,
        completed_at=dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.timezone.utc),
    )
    with app.test_request_context():
        data = attestation_pdf(attestation, verify_url="https://registre.example/attestations/verification")
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    for expected in ("Camille Martin-Durand", "899700218896", "Informer un patient", "Version du module 3", "20 minutes",
                     "28 novembre 2026", "80 %", "ABCD-EFGH-JKMN", "Attestation de formation"):
        assert expected in text, expected


def test_the_pdf_follows_the_language_the_module_was_taken_in(app):
    attestation = Attestation(
        code="ABCDEFGHJKMN", holder_name="Sam Lee", professional_identifier="899700218896",
        module_slug="informer-patient", module_version=1, module_title="Informing a patient",
        locale="en", duration_minutes=20, score=100,
        completed_at=dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.timezone.utc),
    )
    with app.test_request_context():
        text = pdf_text(attestation_pdf(attestation, verify_url="https://registre.example/"))
    assert "Training attestation" in text and "28 November 2026" in text
