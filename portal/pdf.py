"""One preamble for every PDF the portal makes (receipt, "my data" export, paper form,
attestation): A4, the same metadata, the same head on the first page (``Document.masthead``),
and the DejaVu fonts embedded, so that a name such as
"Łukasz Nguyễn" prints as written. fpdf2's core fonts cover Latin-1 only, and the design
system ships Marianne as WOFF/WOFF2, which fpdf2 cannot embed.

The TrueType files come from the npm package ``dejavu-fonts-ttf`` that ``npm ci`` puts under
``node_modules/`` (git-ignored, like the design system), else from Debian's
``fonts-dejavu-core`` and ``fonts-dejavu-extra``. They are never committed.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path

from fpdf import FPDF

from portal.assets import ROOT

FONT_FOLDERS = (
    ROOT / "node_modules" / "dejavu-fonts-ttf" / "ttf",
    Path("/usr/share/fonts/truetype/dejavu"),
)
#: The text face and, for references and proofs, the monospaced one.
SANS, MONO = "DejaVuSans", "DejaVuSansMono"
FONT_FILES = {
    (SANS, ""): "DejaVuSans.ttf",
    (SANS, "B"): "DejaVuSans-Bold.ttf",
    (SANS, "I"): "DejaVuSans-Oblique.ttf",
    (MONO, ""): "DejaVuSansMono.ttf",
    (MONO, "B"): "DejaVuSansMono-Bold.ttf",
}
SETUP_COMMAND = "source .ci/venv.sh && ensure_node_modules"


class PdfFontsMissing(RuntimeError):
    """The DejaVu TrueType files are in none of ``FONT_FOLDERS``: the set-up was not run."""


@cache
def font_folder() -> Path:
    """The first folder that holds every font file; looked up once per process."""
    for folder in FONT_FOLDERS:
        if all((folder / name).is_file() for name in FONT_FILES.values()):
            return folder
    raise PdfFontsMissing(
        f"The DejaVu fonts for PDFs are missing: run `{SETUP_COMMAND}` (npm ci installs dejavu-fonts-ttf), "
        f"or install the Debian packages fonts-dejavu-core and fonts-dejavu-extra. Looked in: "
        + ", ".join(str(folder) for folder in FONT_FOLDERS))


#: The State's name at the head of each document, above the service's and the document's.
STATE_BLOCK = "RÉPUBLIQUE\nFRANÇAISE"


class Document(FPDF):
    """An A4 PDF with its title and creator, in ``SANS``, its first page opened with
    ``masthead``, its bytes from ``to_bytes``; each generator writes its own content
    with ``set_font(SANS | MONO, style, size)`` ("", "B" or "I"; "B" only for ``MONO``). Streams are left uncompressed
    so that the embedded files and metadata can be read as they are in the file (an audit of
    what a download holds, the tests)."""

    def __init__(self, title: str, *, creator: str | None = None, margins: tuple[float, float, float] = (20, 20, 20),
                 bottom_margin: float | None = None) -> None:
        super().__init__(format="A4")
        self._font_folder = font_folder()
        self.set_compression(False)
        self.set_title(title)
        if creator:
            self.set_creator(creator)
        self.set_margins(*margins)
        if bottom_margin is not None:
            self.set_auto_page_break(True, bottom_margin)
        self.set_font(SANS, "", 10)

    def set_font(self, family: str | None = None, style: str = "", size: float = 0) -> None:
        """Registers a face of ``FONT_FILES`` the first time it is used: parsing all five
        files for each download would nearly double the time a receipt takes."""
        key = (family, style.upper() if isinstance(style, str) else style)
        if key in FONT_FILES and f"{family.lower()}{key[1]}" not in self.fonts:
            self.add_font(family, key[1], self._font_folder / FONT_FILES[key])
        super().set_font(family, style, size)

    def normalize_text(self, text: str) -> str:
        """Composed characters (NFC): a name typed as "e" plus combining accents prints and
        extracts as one letter."""
        return super().normalize_text(unicodedata.normalize("NFC", str(text)))

    def masthead(self, title: str, *, service: str = "", title_size: float = 16, state: str = STATE_BLOCK) -> None:
        """Open the first page: the State's name, then the service's when given, then the
        document's title; the content follows at the left margin."""
        self.add_page()
        self.set_font(SANS, "B", 10)
        self.multi_cell(0, 5, state, new_x="LMARGIN", new_y="NEXT")
        self.ln(3)
        if service:
            self.set_font(SANS, "", 10)
            self.multi_cell(0, 5, service, new_x="LMARGIN", new_y="NEXT")
            self.ln(5)
        self.set_font(SANS, "B", title_size)
        self.multi_cell(0, title_size // 2, title, new_x="LMARGIN", new_y="NEXT")

    def to_bytes(self) -> bytes:
        return bytes(self.output())

    def keep_with_next(self, height: float) -> None:
        """Start a new page unless ``height`` more millimetres fit on this one: a heading stays
        with the start of what it introduces instead of ending a page alone."""
        if self.will_page_break(height):
            self.add_page()
