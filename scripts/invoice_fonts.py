"""Copy the Noto fonts invoice PDFs use (services/invoicing/adapters/pdf_fonts.py) to a folder:
the image carries these, not the whole fonts-noto-core package."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from services.invoicing.adapters import pdf_fonts


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    stems = ["NotoSans", *(script.file_stem for script in pdf_fonts.SCRIPTS)]
    copied = 0
    for stem in stems:
        for style in ("Regular", "Bold"):
            path = pdf_fonts.NOTO / f"{stem}-{style}.ttf"
            if path.exists():
                shutil.copy(path, out / path.name)
                copied += 1
    if not (out / "NotoSans-Regular.ttf").exists():
        sys.exit(f"no Noto fonts in {pdf_fonts.NOTO}: install fonts-noto-core")
    print(f"{copied} font files in {out}")


if __name__ == "__main__":
    main()
