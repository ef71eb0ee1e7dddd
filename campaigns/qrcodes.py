"""Printable QR codes for placements, drawn by segno, pointing to the placement's ``/c/<code>``.

The error correction level is Q (25 %) so that a poster stays readable when scuffed or partly
covered; the quiet zone is the standard four modules.
"""

from __future__ import annotations

import io

import segno

ERROR_CORRECTION = "q"


def qr_png(url: str, *, scale: int = 10) -> bytes:
    """A PNG for print (10 pixels a module by default)."""
    buffer = io.BytesIO()
    segno.make(url, error=ERROR_CORRECTION, boost_error=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def qr_svg(url: str, *, scale: int = 10, title: str | None = None) -> bytes:
    """An SVG that scales to any poster size; ``title`` names it for assistive technologies."""
    buffer = io.BytesIO()
    segno.make(url, error=ERROR_CORRECTION, boost_error=False).save(
        buffer, kind="svg", scale=scale, border=4, title=title, xmldecl=True, svgclass=None, lineclass=None
    )
    return buffer.getvalue()
