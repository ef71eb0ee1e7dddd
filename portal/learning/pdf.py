"""The attestation as a one-page PDF (fpdf2), in the language the module was taken in."""

from __future__ import annotations

from flask_babel import force_locale, format_date, gettext as _

from campaigns.attestations import format_code
from campaigns.learning_models import Attestation

from portal.pdf import SANS, Document


def attestation_pdf(attestation: Attestation, verify_url: str) -> bytes:
    with force_locale("en_GB" if attestation.locale == "en" else attestation.locale):  # British dates
        rows = [
            (_("Nom"), attestation.holder_name),
            (_("Identifiant professionnel"), attestation.professional_identifier),
            (_("Module"), attestation.module_title),
            (_("Version du module"), str(attestation.module_version)),
            (_("Durée estimée"), _("%(minutes)s minutes", minutes=attestation.duration_minutes)),
            (_("Date"), format_date(attestation.completed_at.date(), "long")),
            (_("Score"), f"{attestation.score} %"),
            (_("Code de vérification"), format_code(attestation.code)),
        ]
        title = _("Attestation de formation")
        service = _("Registre national d'opposition")
        footer = _("Vérifiez cette attestation sur %(url)s avec le code et le score.", url=verify_url)

    pdf = Document(title, creator=service, margins=(10, 10, 10))
    pdf.masthead(title, service=service, title_size=20, state="République française")
    pdf.ln(6)
    for label, value in rows:
        pdf.set_font(SANS, "B", 12)
        pdf.cell(60, 9, label)
        pdf.set_font(SANS, "", 12)
        pdf.multi_cell(0, 9, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.set_font(SANS, "", 10)
    pdf.multi_cell(0, 6, footer)
    return pdf.to_bytes()
