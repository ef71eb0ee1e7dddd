"""Receipts as PDF, generated from the version's data with fpdf2 through ``portal.pdf``. No
identifier is printed: the receipt names whom it concerns (the person, their child...) and its
unguessable reference."""

from __future__ import annotations

from dataclasses import dataclass

from portal.pdf import MONO, SANS, Document


@dataclass(frozen=True)
class ReceiptDocument:
    """Every text of the receipt, already translated."""

    title: str
    service: str
    reference_label: str
    reference: str
    rows: list[tuple[str, str]]
    purposes_label: str
    purposes: list[str]
    footer: str
    proof_label: str = ""
    proof_lines: tuple[str, ...] = ()  # the log entry's leaf and checkpoint, printed as they are
    attachment_name: str = ""
    attachment: bytes | None = None  # the verifiable receipt (JSON), embedded in the PDF


def receipt_pdf(document: ReceiptDocument) -> bytes:
    pdf = Document(document.title, creator=document.service)
    pdf.masthead(document.title, service=document.service)
    pdf.ln(4)
    pdf.set_font(SANS, "", 11)
    pdf.cell(0, 7, document.reference_label, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(MONO, "B", 14)
    pdf.cell(0, 9, document.reference, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for label, value in document.rows:
        pdf.set_font(SANS, "B", 11)
        pdf.multi_cell(0, 6, str(label), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(SANS, "", 11)
        pdf.multi_cell(0, 6, str(value), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    if document.purposes:
        pdf.set_font(SANS, "B", 11)
        pdf.multi_cell(0, 6, document.purposes_label, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(SANS, "", 11)
        for purpose in document.purposes:
            pdf.multi_cell(0, 6, "- " + purpose, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font(SANS, "I", 9)
    pdf.multi_cell(0, 5, document.footer, new_x="LMARGIN", new_y="NEXT")
    if document.proof_lines:
        pdf.ln(6)
        pdf.set_font(SANS, "B", 10)
        pdf.multi_cell(0, 5, document.proof_label, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(MONO, "", 8)
        for line in document.proof_lines:
            pdf.multi_cell(0, 4, line, new_x="LMARGIN", new_y="NEXT")
    if document.attachment is not None:
        pdf.embed_file(bytes=document.attachment, basename=document.attachment_name, mime_type="application/json")
    return pdf.to_bytes()
