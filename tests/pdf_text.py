"""What a reader of a PDF sees: its text, page by page, and the fonts it embeds, read with pypdf
(not with fpdf2, which wrote it). A Unicode font writes glyph numbers, so text is never found by
searching the file's bytes."""

from __future__ import annotations

import io

from pypdf import PdfReader


def pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def pdf_text(data: bytes) -> str:
    return "\n".join(pdf_pages(data))


def pdf_fonts(data: bytes) -> set[str]:
    """The base names of the fonts used on its pages, without a subset's tag (``ABCDEF+``)."""
    fonts = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in (page.get("/Resources", {}).get("/Font") or {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]).lstrip("/").split("+")[-1])
    return fonts
