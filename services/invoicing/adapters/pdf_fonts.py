"""Fonts for invoices: Noto from the Debian packages (fonts-noto-core; fonts-noto-cjk for Chinese,
Japanese and Korean), with HarfBuzz text shaping, so names print in their own script.

Noto Sans covers Latin, Cyrillic and Greek; the others are fpdf2 fallback fonts, added to a
document only when its text uses their script (parsing a font costs time). Without the fonts
installed, documents fall back to the core Helvetica (Latin-1 only, other characters as '?').
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

NOTO = Path("/usr/share/fonts/truetype/noto")
CJK_CANDIDATES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
)
MAIN = "noto"
CORE = "Helvetica"


@dataclass(frozen=True)
class Script:
    family: str
    file_stem: str
    # Inclusive code point ranges of the script.
    ranges: tuple[tuple[int, int], ...]


SCRIPTS = (
    Script("noto-arabic", "NotoSansArabic", ((0x0600, 0x06FF), (0x0750, 0x077F), (0xFB50, 0xFEFF))),
    Script("noto-hebrew", "NotoSansHebrew", ((0x0590, 0x05FF), (0xFB1D, 0xFB4F))),
    Script("noto-devanagari", "NotoSansDevanagari", ((0x0900, 0x097F), (0xA8E0, 0xA8FF))),
    Script("noto-bengali", "NotoSansBengali", ((0x0980, 0x09FF),)),
    Script("noto-gurmukhi", "NotoSansGurmukhi", ((0x0A00, 0x0A7F),)),
    Script("noto-gujarati", "NotoSansGujarati", ((0x0A80, 0x0AFF),)),
    Script("noto-oriya", "NotoSansOriya", ((0x0B00, 0x0B7F),)),
    Script("noto-tamil", "NotoSansTamil", ((0x0B80, 0x0BFF),)),
    Script("noto-telugu", "NotoSansTelugu", ((0x0C00, 0x0C7F),)),
    Script("noto-kannada", "NotoSansKannada", ((0x0C80, 0x0CFF),)),
    Script("noto-malayalam", "NotoSansMalayalam", ((0x0D00, 0x0D7F),)),
    Script("noto-sinhala", "NotoSansSinhala", ((0x0D80, 0x0DFF),)),
    Script("noto-thai", "NotoSansThai", ((0x0E00, 0x0E7F),)),
)
CJK_RANGES = (
    (0x1100, 0x11FF),
    (0x2E80, 0x2FDF),
    (0x3000, 0x30FF),
    (0x3130, 0x318F),
    (0x31F0, 0x9FFF),
    (0xAC00, 0xD7AF),
    (0xF900, 0xFAFF),
    (0xFF00, 0xFFEF),
)


@functools.cache
def available() -> bool:
    return (NOTO / "NotoSans-Regular.ttf").exists()


@functools.cache
def cjk_font() -> Path | None:
    return next((path for path in CJK_CANDIDATES if path.exists()), None)


def covered_scripts() -> list[str]:
    """What documents print in their own script on this machine (for the README and ops)."""
    if not available():
        return ["Latin-1 only (install fonts-noto-core)"]
    names = ["Latin", "Cyrillic", "Greek"]
    names += [s.file_stem.removeprefix("NotoSans") for s in SCRIPTS if _file(s.file_stem)]
    if cjk_font() is not None:
        names.append("CJK")
    return names


def prepare(pdf: FPDF, text: str) -> str:
    """Register the fonts the text needs and switch shaping on; returns the family to use."""
    if not available():
        return CORE
    pdf.add_font(MAIN, "", NOTO / "NotoSans-Regular.ttf")
    pdf.add_font(MAIN, "B", NOTO / "NotoSans-Bold.ttf")
    used = {ord(character) for character in text if ord(character) > 0x024F}
    fallbacks = []
    for script in SCRIPTS:
        regular = _file(script.file_stem)
        if regular is None or not any(_inside(point, script.ranges) for point in used):
            continue
        bold = _file(script.file_stem, "Bold") or regular
        pdf.add_font(script.family, "", regular)
        pdf.add_font(script.family, "B", bold)
        fallbacks.append(script.family)
    cjk = cjk_font()
    if cjk is not None and any(_inside(point, CJK_RANGES) for point in used):
        pdf.add_font("cjk", "", cjk)
        pdf.add_font("cjk", "B", cjk)
        fallbacks.append("cjk")
    if fallbacks:
        pdf.set_fallback_fonts(fallbacks, exact_match=False)
    pdf.set_text_shaping(True)
    return MAIN


def printable(text: str, family: str) -> str:
    """Core fonts cover Latin-1 only: dashes and curly quotes print as their plain forms there,
    other characters as '?'."""
    if family != CORE:
        return text
    return text.translate(LATIN1_STAND_INS).encode("latin-1", "replace").decode("latin-1")


LATIN1_STAND_INS = str.maketrans(
    {"\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'}
)


@functools.cache
def _file(stem: str, style: str = "Regular") -> Path | None:
    path = NOTO / f"{stem}-{style}.ttf"
    return path if path.exists() else None


def _inside(point: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(low <= point <= high for low, high in ranges)
