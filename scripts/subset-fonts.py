#!/usr/bin/env python3
"""Cut the shipped Nanum Gothic TTFs into small WOFF2 files for the browser, and write fonts.css.

The full TTFs (4.3 MB each) stay for the PDFs. Browsers get slices declared with
``unicode-range``, so a page downloads only the slices holding characters it shows:
- ``latin``: Latin with French accents, punctuation, arrows, shapes;
- ``symbols``: Hangul jamo, CJK punctuation, full-width forms;
- ``hangul-core``: every Hangul syllable the interface, the migrations and the demo use;
- ``hangul-01`` … : the other syllables in contiguous blocks, for names typed as data.
It also cuts the print fonts for the PDFs (hilogistics/documents/fonts/): every Hangul syllable,
Latin and symbols, without the Hanja and hinting the PDFs never use, which fpdf2 opens in a
third of the time. Run it again after adding Korean interface text:
``.venv/bin/python scripts/subset-fonts.py`` (needs ``pip install fonttools brotli``).
"""

import hashlib
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parent.parent
FONTS = ROOT / "hilogistics" / "static" / "fonts"
OUT = FONTS / "web"
PRINT = ROOT / "hilogistics" / "documents" / "fonts"
CSS = ROOT / "hilogistics" / "static" / "css" / "fonts.css"
WEIGHTS = {400: "NanumGothic.ttf", 700: "NanumGothicBold.ttf"}
# Where the interface's and the demo's Korean text lives.
SOURCES = [
    "hilogistics/translations/ko_KP/LC_MESSAGES/messages.po",
    "hilogistics/**/*.py",
    "hilogistics/templates/**/*.html",
    "migrations/versions/*.py",
]
FIRST_SYLLABLE, LAST_SYLLABLE = 0xAC00, 0xD7A3
BLOCKS = 12

LATIN = [
    (0x0000, 0x024F),
    (0x0300, 0x036F),
    (0x2000, 0x206F),
    (0x20A0, 0x20CF),
    (0x2100, 0x214F),
    (0x2190, 0x22FF),
    (0x25A0, 0x25FF),
]
SYMBOLS = [(0x1100, 0x11FF), (0x3000, 0x303F), (0x3130, 0x318F), (0x3200, 0x33FF), (0xFF00, 0xFFEF)]


def core_syllables() -> set[int]:
    """Every Hangul syllable in the interface catalogue, the code, templates and migrations."""
    found: set[int] = set()
    for pattern in SOURCES:
        for path in ROOT.glob(pattern):
            text = path.read_text(encoding="utf-8")
            found.update(ord(c) for c in text if FIRST_SYLLABLE <= ord(c) <= LAST_SYLLABLE)
    return found


def expand(ranges: list[tuple[int, int]]) -> set[int]:
    """The code points of inclusive ranges."""
    return {c for start, end in ranges for c in range(start, end + 1)}


def as_ranges(points: set[int]) -> list[tuple[int, int]]:
    """Sorted code points folded into inclusive ranges."""
    ranges: list[tuple[int, int]] = []
    for point in sorted(points):
        if ranges and point == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], point)
        else:
            ranges.append((point, point))
    return ranges


def css_range(ranges: list[tuple[int, int]]) -> str:
    """A unicode-range value."""
    return ", ".join(f"U+{a:X}" if a == b else f"U+{a:X}-{b:X}" for a, b in ranges)


def slices(cmap: set[int]) -> list[tuple[str, set[int], list[tuple[int, int]]]]:
    """(name, glyph code points, declared unicode-range) per slice, core last."""
    core = core_syllables() & cmap
    result = [
        ("latin", expand(LATIN) & cmap, LATIN),
        ("symbols", expand(SYMBOLS) & cmap, SYMBOLS),
    ]
    per_block = -(-(LAST_SYLLABLE - FIRST_SYLLABLE + 1) // BLOCKS)
    for number in range(BLOCKS):
        start = FIRST_SYLLABLE + number * per_block
        end = min(start + per_block - 1, LAST_SYLLABLE)
        # The block declares its whole range but carries only the non-core glyphs: the core
        # slice is declared after it, so browsers try it first for its own syllables.
        glyphs = (expand([(start, end)]) & cmap) - core
        result.append((f"hangul-{number + 1:02d}", glyphs, [(start, end)]))
    result.append(("hangul-core", core, as_ranges(core)))
    return result


def build_print_fonts() -> None:
    """Cut the PDF fonts: all Hangul syllables, Latin and symbols; no Hanja, no hinting."""
    PRINT.mkdir(exist_ok=True)
    keep = expand(LATIN) | expand(SYMBOLS) | expand([(FIRST_SYLLABLE, LAST_SYLLABLE)])
    for filename in WEIGHTS.values():
        source = FONTS / filename
        options = subset.Options()
        options.layout_features = ["*"]
        options.hinting = False
        options.notdef_outline = True
        options.glyph_names = True
        font = subset.load_font(str(source), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=sorted(keep & set(TTFont(source).getBestCmap())))
        subsetter.subset(font)
        target = PRINT / filename
        subset.save_font(font, str(target), options)
        print(f"{target.relative_to(ROOT)}: {target.stat().st_size / 1024:.0f} KiB")


def build() -> None:
    """Write the WOFF2 slices and fonts.css."""
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.woff2"):
        old.unlink()
    rules = [
        "/* Generated by scripts/subset-fonts.py from the shipped Nanum Gothic TTFs (SIL OFL,\n"
        "   ../fonts/OFL.txt). Do not edit: run the script. */"
    ]
    total = 0
    for weight, filename in WEIGHTS.items():
        source = FONTS / filename
        cmap = set(TTFont(source).getBestCmap())
        for name, glyphs, declared in slices(cmap):
            options = subset.Options()
            options.flavor = "woff2"
            options.layout_features = ["*"]
            options.hinting = False  # smaller; browsers on these screens render fine unhinted
            options.desubroutinize = True
            font = subset.load_font(str(source), options)
            subsetter = subset.Subsetter(options)
            subsetter.populate(unicodes=sorted(glyphs))
            subsetter.subset(font)
            target = OUT / f"nanumgothic-{weight}-{name}.woff2"
            subset.save_font(font, str(target), options)
            total += target.stat().st_size
            rules.append(
                "@font-face {\n"
                '  font-family: "Nanum Gothic";\n'
                f'  src: url("../fonts/web/{target.name}") format("woff2");\n'
                f"  font-weight: {weight};\n"
                "  font-display: swap;\n"
                f"  unicode-range: {css_range(declared)};\n"
                "}"
            )
    CSS.write_text("\n".join(rules) + "\n", encoding="utf-8")
    digest = hashlib.sha256(CSS.read_bytes()).hexdigest()[:12]
    print(f"{len(list(OUT.glob('*.woff2')))} slices, {total / 1024:.0f} KiB, fonts.css {digest}")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        sys.exit(__doc__)
    build()
    build_print_fonts()
