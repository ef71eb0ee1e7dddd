"""Receipts as PDF, generated from the version's data with fpdf2. No identifier is printed:
the receipt names whom it concerns (the person, their child...) and its unguessable reference."""

from __future__ import annotations

from dataclasses import dataclass

from fpdf import FPDF

_REPLACEMENTS = str.maketrans({"\u2019": "'", "\u00a0": " ", "\u202f": " ", "\u2013": "-", "\u2014": "-", "«": '"', "»": '"', "œ": "oe"})


def _latin1(text: str) -> str:
    """The PDF core fonts cover Latin-1: typographic signs are replaced by plain ones."""
    return str(text).translate(_REPLACEMENTS).encode("latin-1", "replace").decode("latin-1")


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
    pdf = FPDF(format="A4")
    pdf.set_compression(False)
    pdf.set_title(_latin1(document.title))
    pdf.set_creator(_latin1(document.service))
    pdf.set_margins(20, 20, 20)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 11)
    pdf.multi_cell(0, 5, "RÉPUBLIQUE\nFRANÇAISE", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, 5, _latin1(document.service), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 8, _latin1(document.title), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 7, _latin1(document.reference_label), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Courier", "B", 14)
    pdf.cell(0, 9, _latin1(document.reference), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for label, value in document.rows:
        pdf.set_font("Helvetica", "B", 11)
        pdf.multi_cell(0, 6, _latin1(label), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        pdf.multi_cell(0, 6, _latin1(value), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    if document.purposes:
        pdf.set_font("Helvetica", "B", 11)
        pdf.multi_cell(0, 6, _latin1(document.purposes_label), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        for purpose in document.purposes:
            pdf.multi_cell(0, 6, _latin1("- " + purpose), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("Helvetica", "I", 9)
    pdf.multi_cell(0, 5, _latin1(document.footer), new_x="LMARGIN", new_y="NEXT")
    if document.proof_lines:
        pdf.ln(6)
        pdf.set_font("Helvetica", "B", 10)
        pdf.multi_cell(0, 5, _latin1(document.proof_label), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Courier", "", 8)
        for line in document.proof_lines:
            pdf.multi_cell(0, 4, _latin1(line), new_x="LMARGIN", new_y="NEXT")
    if document.attachment is not None:
        pdf.embed_file(bytes=document.attachment, basename=document.attachment_name, mime_type="application/json")
    return bytes(pdf.output())
