"""The printable opposition form, for people who file by post or at a counter. Laid out so that
an agent can key it in field by field, in the order of the agent's screen: who it is for, the
number, the purposes, the signature, then a box for the agent. Blank: nothing about anyone is
in it, and the names written on it serve to check the request and post the receipt only."""

from __future__ import annotations

from flask_babel import gettext as _

from registry.purposes import Purpose

from portal.citizen.labels import PURPOSE_LABELS
from portal.pdf import SANS, Document

NUMBER_BOXES = 15
BOX_HEIGHT = 6


def _box(pdf: Document, label: str) -> None:
    """A check box followed by its label, on one line."""
    pdf.keep_with_next(BOX_HEIGHT)
    y = pdf.get_y()
    pdf.rect(pdf.l_margin, y + 1, 4, 4)
    pdf.set_x(pdf.l_margin + 7)
    pdf.multi_cell(0, BOX_HEIGHT, label, new_x="LMARGIN", new_y="NEXT")


def _line_height(height: float = 9) -> float:
    """What ``_line`` takes on the page."""
    return 6 + height + 3


def _line(pdf: Document, label: str, height: float = 9) -> None:
    """A labelled field to write on, its label on the page of its box."""
    pdf.keep_with_next(_line_height(height))
    pdf.set_font(SANS, "", 10)
    pdf.cell(0, 6, label, new_x="LMARGIN", new_y="NEXT")
    pdf.rect(pdf.l_margin, pdf.get_y(), pdf.epw, height)
    pdf.ln(height + 3)


def _heading(pdf: Document, text: str, keep: float) -> None:
    """A section's heading, on the page of the section's first ``keep`` millimetres: the
    signature's heading does not end page 1 alone, away from its box."""
    pdf.keep_with_next(2 + 7 + keep)
    pdf.ln(2)
    pdf.set_font(SANS, "B", 12)
    pdf.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(SANS, "", 10)


def paper_form_pdf(channels: dict) -> bytes:
    title = _("Formulaire d'opposition à la réutilisation des données de santé")
    pdf = Document(title, creator=_("Registre national d'opposition"), margins=(18, 15, 18), bottom_margin=15)
    pdf.masthead(title, title_size=15)
    pdf.set_font(SANS, "", 9)
    pdf.multi_cell(0, 5, _("Remplissez ce formulaire en lettres capitales, signez-le et envoyez-le par courrier ou apportez-le au guichet. Vous recevrez un récépissé."), new_x="LMARGIN", new_y="NEXT")
    address = channels.get("postal_address") or _("[adresse postale à compléter : réglage REGISTRE_POSTAL_ADDRESS]")
    pdf.multi_cell(0, 5, _("Adresse : %(address)s", address=address), new_x="LMARGIN", new_y="NEXT")

    _heading(pdf, _("1. Pour qui faites-vous cette demande ?"), keep=BOX_HEIGHT)
    _box(pdf, _("Pour moi-même"))
    _box(pdf, _("Pour mon enfant mineur"))
    _box(pdf, _("Pour un majeur protégé dont je suis le représentant légal"))

    _heading(pdf, _("2. La personne concernée"), keep=6 + 11)
    pdf.cell(0, 6, _("Numéro de sécurité sociale (15 caractères, clé comprise)"), new_x="LMARGIN", new_y="NEXT")
    y = pdf.get_y()
    for index in range(NUMBER_BOXES):
        pdf.rect(pdf.l_margin + index * 8 + (3 if index >= 13 else 0), y, 7, 8)
    pdf.ln(11)
    _line(pdf, _("Nom de naissance et prénoms"))
    _line(pdf, _("Date de naissance (JJ/MM/AAAA)"))

    _heading(pdf, _("3. Les usages auxquels la personne s'oppose"), keep=BOX_HEIGHT)
    _box(pdf, _("Tous les usages (choix conseillé si vous ne savez pas)"))
    pdf.multi_cell(0, 6, _("Ou seulement ceux-ci :"), new_x="LMARGIN", new_y="NEXT")
    for purpose in Purpose:
        _box(pdf, str(PURPOSE_LABELS[purpose]))

    _heading(pdf, _("4. Si vous êtes parent ou représentant légal"), keep=_line_height())
    _line(pdf, _("Vos nom et prénoms"))
    _box(pdf, _("J'atteste sur l'honneur être son parent ou son représentant légal (tuteur, curateur habilité)."))

    _heading(pdf, _("5. Pour vous envoyer le récépissé"), keep=_line_height(14))
    _line(pdf, _("Adresse postale"), height=14)

    _heading(pdf, _("6. Date et signature"), keep=_line_height(18))
    _line(pdf, _("Date et signature"), height=18)

    pdf.set_font(SANS, "I", 8)
    pdf.multi_cell(0, 4, _("Vos nom, date de naissance et adresse servent seulement à vérifier la demande et à envoyer le récépissé : le registre ne les enregistre pas. Il garde une empreinte du numéro calculée avec une clé secrète, jamais le numéro lui-même."), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.keep_with_next(6 + 16)
    pdf.set_font(SANS, "B", 10)
    pdf.cell(0, 6, _("Cadre réservé à l'administration"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(SANS, "", 9)
    y = pdf.get_y()
    pdf.rect(pdf.l_margin, y, pdf.epw, 16)
    pdf.set_xy(pdf.l_margin + 2, y + 2)
    pdf.multi_cell(pdf.epw - 4, 5, _("Reçu le : ........   Saisi le : ........   Agent : ........   Référence du récépissé : ................"), new_x="LMARGIN", new_y="NEXT")
    return pdf.to_bytes()
