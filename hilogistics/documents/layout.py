"""The one page layout of every printed document, and the words it prints in two languages.

A4, portrait unless the lines table needs more width to keep each word whole (``_plan``):
then landscape, with a smaller type for the table if even that is too narrow. Header: the
organisation and partner, the title in Korean and English (and French for a French reader),
the document number and its QR code, "COPY n" on reprints. Then a grid of header facts, a
lines table whose heading repeats on every page, signature blocks, and a footer with the date
printed, who printed it, and page x of y.
"""

import copy
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

import segno
from flask_babel import force_locale
from flask_babel import gettext as _
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import SubsetMap, TTFFont

from hilogistics.dates import business_zone

# Print cuts of the shipped Nanum fonts (scripts/subset-fonts.py): fpdf2 opens them 3× faster.
FONTS = Path(__file__).resolve().parent / "fonts"
REGULAR, BOLD = FONTS / "NanumGothic.ttf", FONTS / "NanumGothicBold.ttf"
FAMILY = "Nanum"
MARGIN = 12.0
QR_SIZE = 24.0
# Shown instead of a character the font cannot draw: visible, never a silent empty box.
MISSING_MARK = "?"
INK, MUTED, RULE, BAND = (20, 24, 30), (74, 82, 96), (150, 156, 166), (236, 239, 243)


class MissingGlyphError(ValueError):
    """A text holds characters the shipped fonts cannot draw (raised in strict mode)."""


def missing_glyphs(text: str) -> list[str]:
    """The characters of ``text`` that the regular or bold Nanum font lacks (line breaks pass)."""
    # The cmaps of the fonts fpdf2 parsed once per process (see _prototype): no second parse.
    regular, bold = _prototype(REGULAR, "").cmap, _prototype(BOLD, "B").cmap
    return sorted(
        {c for c in text if c not in "\n\r\t" and (ord(c) not in regular or ord(c) not in bold)}
    )


def msg(msgid: str) -> str:
    """Mark a message for the catalogue where it is translated later (a title, a kind)."""
    return msgid


def words(msgid: str, locale: str | None = None, **values: object) -> tuple[str, str, str]:
    """``msgid`` in Korean, English and French (or ``locale``'s language in the third place).

    Printed words come from the interface's catalogue, so paper and screen say the same thing.
    """
    texts = []
    for language in ("ko_KP", "en", locale or "fr"):
        with force_locale(language):
            texts.append(_(msgid, **values))
    return texts[0], texts[1], texts[2]


def both(msgid: str, **values: object) -> str:
    """Korean and English side by side: ``입고 · Receipt`` (one language once when they agree)."""
    korean, english, _third = words(msgid, **values)
    return korean if korean == english else f"{korean} · {english}"


@dataclass(frozen=True)
class Column:
    """A column of the lines table: its heading, relative width and alignment (L, R, C)."""

    heading: str
    width: float
    align: str = "L"


@dataclass(frozen=True)
class Printing:
    """Who prints, when and for whom: what every document says besides its own content."""

    organisation: str
    partner: str
    printed_by: str
    printed_at: datetime
    locale: str
    base_url: str = ""  # the app's public address: QR codes then open the page itself

    def qr_payload(self, path: str, fallback: str) -> str:
        """The page's full address when the app's address is known, else ``fallback``."""
        return self.base_url.rstrip("/") + path if self.base_url else fallback

    def header(self) -> dict[str, object]:
        """The Document fields this fills."""
        return {
            "organisation": self.organisation,
            "partner": self.partner,
            "printed_by": self.printed_by,
            "printed_at": self.printed_at,
            "locale": self.locale,
        }


@dataclass
class Document:
    """What one printed document says; ``render`` lays it out."""

    title: str  # msgid of the title; printed in Korean and English (and French for French readers)
    number: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[str]]
    facts: Sequence[tuple[str, str]] = ()  # (label, value) pairs under the title
    signatures: Sequence[str] = ()  # labels of signature blocks
    organisation: str = ""
    partner: str = ""
    qr_payload: str | None = None  # defaults to the number
    copy: int = 1  # 1 for the first print; "COPY n" from the second on
    printed_by: str = ""
    printed_at: datetime | None = None
    locale: str = "en"
    note: str = ""  # printed under the table (a receipt statement, "not to be destroyed")
    missing: list[str] = field(default_factory=list)  # filled by render: characters not drawable
    figures: Sequence["Figure"] = ()  # charts printed between the facts and the table


@dataclass(frozen=True)
class Figure:
    """A chart printed above the table: its title, the SVG drawing and a text description."""

    title: str
    svg: str
    description: str = ""


@cache
def _prototype(path: Path, style: str) -> TTFFont:
    """The font as fpdf2 parses it (widths, cmap, glyph ids): built once per process."""
    pdf = FPDF()
    pdf.add_font(FAMILY, style, str(path))
    font = pdf.fonts[f"{FAMILY.lower()}{style}"]
    font.ttfont.close()
    return font


def _add_font(pdf: FPDF, style: str, path: Path) -> None:
    """Add a font without parsing the TTF again: parsing was a third of a 100-line document.

    The prototype's read-only tables are shared; what fpdf2 changes per document (the glyph
    subset, and the TTFont it subsets in place at output) is made fresh. Any surprise from
    another fpdf2 version falls back to the plain, slower way.
    """
    key = f"{FAMILY.lower()}{style}"
    try:
        font = copy.copy(_prototype(path, style))
        font.i = len(pdf.fonts) + 1
        font.ttfont = TTFont(str(path), recalcTimestamp=False, lazy=True)
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font.subset = SubsetMap(font)
        pdf.fonts[key] = font
    except (AttributeError, TypeError):  # pragma: no cover - a changed fpdf2
        pdf.fonts.pop(key, None)
        pdf.add_font(FAMILY, style, str(path))


class _Pdf(FPDF):
    """FPDF with the document's running header and footer."""

    def __init__(self, document: Document, strict: bool) -> None:
        super().__init__(orientation=PORTRAIT, unit="mm", format="A4")
        self.document = document
        # render_many: the document the next page starts (its footer still names the last one).
        self.next_document = document
        self.strict = strict
        self.broken_lines: dict[tuple[str, str, float, str, float], list[str]] = {}
        # Per font style and text: its width on one line and its longest word's (see _plan).
        self.measured: dict[tuple[str, str], tuple[float, float]] = {}
        self.table_size = BODY_SIZES[0]
        self.in_header = False
        self.set_margins(MARGIN, MARGIN, MARGIN)
        # Room for the footer: two lines of who printed, the number and page line, a gap.
        self.set_auto_page_break(auto=True, margin=MARGIN + 14)
        _add_font(self, "", REGULAR)
        _add_font(self, "B", BOLD)
        self.set_title(f"{document.number} {words(document.title)[1]}")
        self.set_creator("hilogistics")
        self.alias_nb_pages("{nb}")

    def drawable(self, text: str) -> str:
        """The text as ``safe`` will print it, without recording or refusing anything."""
        for character in missing_glyphs(text):
            text = text.replace(character, MISSING_MARK)
        return text

    def safe(self, text: object) -> str:
        """The text with any character the fonts lack replaced by a visible mark (or refused)."""
        value = "" if text is None else str(text)
        lacking = missing_glyphs(value)
        if lacking:
            if self.strict:
                raise MissingGlyphError(
                    "no glyph for " + ", ".join(f"U+{ord(c):04X} {c!r}" for c in lacking)
                )
            self.document.missing.extend(c for c in lacking if c not in self.document.missing)
            for character in lacking:
                value = value.replace(character, MISSING_MARK)
        return value

    def header(self) -> None:  # noqa: D102 - fpdf2 calls it at each new page
        self.in_header = True
        try:
            self._header()
        finally:
            self.in_header = False

    def _header(self) -> None:
        self.document = self.next_document
        document = self.document
        top = self.get_y()
        text_width = self.epw - QR_SIZE - 4
        self.set_text_color(*MUTED)
        self.set_font(FAMILY, "", 8.5)
        line = " · ".join(p for p in (document.organisation, document.partner) if p)
        _text_block(self, text_width, 4, self.safe(line))
        korean, english, third = words(document.title, document.locale)
        self.set_text_color(*INK)
        self.set_font(FAMILY, "B", 16)
        _text_block(self, text_width, 8, self.safe(korean))
        self.set_font(FAMILY, "B", 12)
        titles = (
            english
            if document.locale not in ("fr",) or third == english
            else (f"{english} / {third}")
        )
        _text_block(self, text_width, 6, self.safe(titles))
        self.set_font(FAMILY, "B", 11)
        number_line = document.number
        if document.copy > 1:
            number_line += "   " + both("COPY %(n)d", n=document.copy)
        _text_block(self, text_width, 6, self.safe(number_line))
        qr = segno.make(document.qr_payload or document.number, error="m")
        image = io.BytesIO()
        qr.save(image, kind="png", scale=6, border=2)
        image.seek(0)
        self.image(image, x=self.w - MARGIN - QR_SIZE, y=top, w=QR_SIZE, h=QR_SIZE)
        self.set_y(max(self.get_y(), top + QR_SIZE) + 2)
        self.set_draw_color(*RULE)
        self.line(MARGIN, self.get_y(), self.w - MARGIN, self.get_y())
        self.ln(3)

    def footer(self) -> None:  # noqa: D102 - fpdf2 calls it at the foot of each page
        document = self.document
        self.set_text_color(*MUTED)
        printed_at = (document.printed_at or datetime.now(business_zone())).strftime(
            "%Y-%m-%d %H:%M"
        )
        printed = both("Printed on %(date)s by %(name)s", date=printed_at, name=document.printed_by)
        # Above the number and page line, so that a long name in two languages never runs into
        # the page number; wrapped (in a smaller type if need be) rather than off the paper.
        for size in FOOTER_SIZES:
            self.set_font(FAMILY, "", size)
            lines = _cell_lines(self, self.safe(printed), self.epw)
            if len(lines) <= 2:
                break
        height = size * FOOTER_LEADING
        self.set_y(-MARGIN - 4 - height * len(lines))
        for line in lines:
            self.cell(self.epw, height, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FAMILY, "", FOOTER_SIZES[0])
        self.cell(self.epw * 0.6, 4, self.safe(document.number))
        page = both("Page %(page)s of %(pages)s", page=self.page_no(), pages="{nb}")
        self.cell(self.epw * 0.4, 4, self.safe(page), align="R")
        self.set_text_color(*INK)


FOOTER_SIZES = (8.0, 7.0, 6.0)
FOOTER_LEADING = 0.5  # mm of line per point of type: 4 mm at 8 pt


def _facts(pdf: _Pdf, facts: Sequence[tuple[str, str]]) -> None:
    """Label–value pairs in two columns."""
    if not facts:
        return
    half = pdf.epw / 2
    label_width = 30.0
    for index, (label, value) in enumerate(facts):
        x = MARGIN + (half if index % 2 else 0)
        if index % 2 == 0:
            row_top = pdf.get_y()
        pdf.set_xy(x, row_top)
        pdf.set_font(FAMILY, "B", 8.5)
        # A bilingual label may wrap: the row must end below it too, or the next row's label
        # is printed over its second line.
        label_lines = _text_block(pdf, label_width, 4.5, pdf.safe(label), beside=True)
        label_bottom = row_top + 4.5 * label_lines
        pdf.set_font(FAMILY, "", 9.5)
        _text_block(pdf, half - label_width - 2, 4.5, pdf.safe(value))
        bottom = max(pdf.get_y(), label_bottom)
        if index % 2 == 0:
            left_bottom = bottom
        else:
            pdf.set_y(max(bottom, left_bottom) + 1)
    if len(facts) % 2:
        pdf.set_y(left_bottom + 1)
    pdf.ln(2)


LINE_HEIGHT = 4.6
PAD_X, PAD_Y = 1.2, 1.0


SEPARATOR = "·"


def _words(text: str) -> list[str]:
    """The words of ``text`` a line may break between: split at spaces, except before " · ".

    The separator of two languages stays with the word before it ("번호 · / No."): a narrow
    heading never gives it a line of its own ("번호 / · / No."). The Korean word it joins is
    mostly the shorter one, so the column seldom needs more width for it.
    """
    words: list[str] = []
    for word in text.split(" "):
        if word == SEPARATOR and words and words[-1]:
            words[-1] = f"{words[-1]} {SEPARATOR}"
        else:
            words.append(word)
    return words


def _words_into_lines(pdf: _Pdf, text: str, width: float) -> list[str] | None:
    """Break text at spaces, measuring whole words (fpdf2 measures character by character).

    None when a line break is in the text or one word is wider than ``width``: fpdf2 then
    breaks it inside the word.
    """
    if "\n" in text:
        return None
    width -= 2 * pdf.c_margin  # as multi_cell does: the text stands inside the cell's margins
    lines: list[str] = []
    current = ""
    for word in _words(text):
        candidate = f"{current} {word}" if current else word
        if pdf.get_string_width(candidate) <= width:
            current = candidate
            continue
        if not current or pdf.get_string_width(word) > width:
            return None
        lines.append(current)
        current = word
    lines.append(current)
    return lines


def _cell_lines(pdf: _Pdf, text: str, width: float) -> list[str]:
    """The text broken into the lines it takes in ``width`` (one when it fits).

    Remembered per font, size and width: a batch of slips repeats its bilingual headings,
    units and item names on every page, and breaking them costs more than drawing them.
    """
    key = (pdf.font_family, pdf.font_style, pdf.font_size_pt, text, width)
    known = pdf.broken_lines.get(key)
    if known is not None:
        return known
    if "\n" not in text and pdf.get_string_width(text) <= width - 2 * pdf.c_margin:
        lines = [text]
    else:
        lines = _words_into_lines(pdf, text, width) or pdf.multi_cell(
            width, LINE_HEIGHT, text, dry_run=True, output="LINES"
        )
    pdf.broken_lines[key] = lines
    return lines


def _text_block(pdf: _Pdf, width: float, height: float, text: str, *, beside: bool = False) -> int:
    """Draw text wrapped into ``width`` from the current position; return its line count.

    What ``multi_cell`` does for plain left-aligned text, with the lines broken once and
    remembered (``_cell_lines``): then x returns to the left margin below the text, or, with
    ``beside``, x moves right of the block and y stays at its top.
    """
    x = pdf.get_x()
    top = y = pdf.get_y()
    lines = _cell_lines(pdf, text, width)
    for line in lines:
        if y + height > pdf.page_break_trigger and not beside and not pdf.in_header:
            pdf.add_page(same=True)  # a long note runs onto the next page, as multi_cell would
            y = pdf.get_y()
        pdf.set_xy(x, y)
        pdf.cell(width, height, line)
        y += height
    if beside:
        pdf.set_xy(x + width, top)
    else:
        pdf.set_xy(pdf.l_margin, y)
    return len(lines)


def _row_lines(pdf: _Pdf, widths: list[float], values: Sequence[str]) -> list[list[str]]:
    """Each cell's lines in the current font."""
    inner = [w - 2 * PAD_X for w in widths]
    texts = [pdf.safe(v) for v in values]
    return [_cell_lines(pdf, text, width) for text, width in zip(texts, inner, strict=False)]


def _row_height(pdf: _Pdf, widths: list[float], values: Sequence[str]) -> float:
    """How tall a row of ``values`` prints in the current font."""
    return max(len(cell) for cell in _row_lines(pdf, widths, values)) * LINE_HEIGHT + 2 * PAD_Y


def _table_row(
    pdf: _Pdf,
    widths: list[float],
    columns: Sequence[Column],
    values: Sequence[str],
    *,
    heading: bool = False,
) -> None:
    """One row: every cell's lines, the row as tall as its tallest cell, a rule beneath."""
    lines = _row_lines(pdf, widths, values)
    height = max(len(cell) for cell in lines) * LINE_HEIGHT + 2 * PAD_Y
    if pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page(same=True)
        if not heading:
            _table_heading(pdf, widths, columns)
    top = pdf.get_y()
    if heading:
        pdf.set_fill_color(*BAND)
        pdf.rect(MARGIN, top, sum(widths), height, style="F")
    x = MARGIN
    for column, width, cell in zip(columns, widths, lines, strict=False):
        for number, line in enumerate(cell):
            if not line:
                continue  # nothing to draw: an empty cell costs fpdf2 as much as a full one
            pdf.set_xy(x + PAD_X, top + PAD_Y + number * LINE_HEIGHT)
            pdf.cell(width - 2 * PAD_X, LINE_HEIGHT, line, align=column.align)
        x += width
    pdf.set_draw_color(*(INK if heading else RULE))
    pdf.line(MARGIN, top + height, MARGIN + sum(widths), top + height)
    pdf.set_xy(MARGIN, top + height)


HEADING_SIZES = (8.5, 8.0, 7.5, 7.0, 6.5)
# The table's type: the first size at which every word of every cell stands whole in its column.
BODY_SIZES = (8.5, 8.0, 7.5, 7.0)
# The heading size a column's width is planned for (the heading may still print larger).
PLANNED_HEADING_SIZE = HEADING_SIZES[2]
# The lines a column's heading wants at most (it gets them when the page has the room).
HEADING_LINES = 3
PORTRAIT, LANDSCAPE = "P", "L"
A4_SHORT, A4_LONG = 210.0, 297.0


def _heading_size(pdf: _Pdf, widths: list[float], columns: Sequence[Column]) -> float:
    """The largest heading size at which no word of a heading is cut inside its column.

    Narrow number columns under bilingual headings ("제안량 · Suggested") otherwise broke
    words letter by letter ("Sugge / sted"), which reads badly on a signed paper form.
    """
    for size in HEADING_SIZES:
        pdf.set_font(FAMILY, "B", size)
        if all(
            pdf.get_string_width(word) <= width - 2 * (PAD_X + pdf.c_margin)
            for column, width in zip(columns, widths, strict=True)
            for word in _words(column.heading)
        ):
            return size
    return HEADING_SIZES[-1]


def _measure(pdf: _Pdf, style: str, text: str) -> tuple[float, float]:
    """The widths of ``text`` on one line and of its longest word, at size 1 in ``style``.

    Remembered per text: a report repeats its units, places and categories on every row.
    """
    key = (style, text)
    known = pdf.measured.get(key)
    if known is None:
        pdf.set_font(FAMILY, style, 1)
        drawable = pdf.drawable(text)
        words = _words(drawable)
        longest = max((pdf.get_string_width(word) for word in words), default=0.0)
        known = (pdf.get_string_width(drawable) if len(words) > 1 else longest, longest)
        pdf.measured[key] = known
    return known


# Wrapping at spaces leaves part of each line empty: a text on n lines takes more than 1/n.
WRAP_SLACK = 1.2
# Rows of more lines than this are not worth planning for (or the needs fill the page).
MAX_LINES = 9
# A portrait table whose rows would wrap on more lines than this prints landscape.
PORTRAIT_MAX_LINES = 4


def _share(
    total: float,
    weights: Sequence[float],
    needs: Sequence[float],
    wants: Sequence[float],
    pad: float,
) -> tuple[int, list[float]]:
    """Lines per row and widths: each column its need, and rows on as few lines as will fit.

    A column wants its longest text on one line. The widths are those of the fewest lines
    per row (1, 2, 3 …) at which every column fits: each column gets about 1/n of its want,
    never less than its need, so item names and places wrap alike while number columns keep
    just their heading's width. The room left over goes by ``weights``.
    """
    spare = total - sum(needs)
    if spare <= 0:
        return MAX_LINES, [total * need / sum(needs) for need in needs]
    widths = list(needs)
    for lines in range(1, MAX_LINES):
        trial = [
            max(need, min(want, (want - pad) / lines * (WRAP_SLACK if lines > 1 else 1) + pad))
            for need, want in zip(needs, wants, strict=True)
        ]
        if sum(trial) <= total:
            widths = trial
            break
    left, weight = total - sum(widths), sum(weights) or 1.0
    return lines, [width + left * w / weight for width, w in zip(widths, weights, strict=True)]


def _plan(
    pdf: _Pdf, columns: Sequence[Column], rows: Sequence[Sequence[str]]
) -> tuple[str, float, list[float]]:
    """The orientation, table type size and column widths at which no word is cut.

    Each column needs the width of its longest heading word (at PLANNED_HEADING_SIZE) and of
    its longest cell word, and wants its longest cell on one line and its heading on at most
    HEADING_LINES (see ``_share``); a column left blank to write in needs its share by
    ``Column.width``. Portrait when the needs fit it with rows of at most PORTRAIT_MAX_LINES
    lines (many number columns under bilingual headings leave the item names a sliver), else
    landscape at the largest type that fits. A word wider than even that (a code without
    spaces the width of a page) is broken.
    """
    if not columns:
        return PORTRAIT, BODY_SIZES[0], []
    pad = 2 * (PAD_X + pdf.c_margin) + 0.01  # 0.01: no word misses its width by a rounding
    measured = [_measure(pdf, "B", c.heading) for c in columns]
    heading = [word * PLANNED_HEADING_SIZE for _line, word in measured]
    # A heading may take a few lines, not one per word ("분실 / 또는 / 폐기 · / Lost / or …").
    heading_wants = [line * PLANNED_HEADING_SIZE / HEADING_LINES + pad for line, _word in measured]
    lines = [0.0] * len(columns)
    longest = [0.0] * len(columns)
    for values in rows:
        for index, value in enumerate(values[: len(columns)]):
            if value:
                line, word = _measure(pdf, "", value)
                lines[index] = max(lines[index], line)
                longest[index] = max(longest[index], word)
    weights = [c.width for c in columns]

    def layout(orientation: str, size: float) -> tuple[int, list[float]] | None:
        width = (A4_SHORT if orientation == PORTRAIT else A4_LONG) - 2 * MARGIN
        share = width / (sum(weights) or 1.0)
        needs = [
            max(h, w * size) + pad if line else max(h + pad, share * weight)
            for h, w, line, weight in zip(heading, longest, lines, weights, strict=True)
        ]
        if sum(needs) > width:
            return None
        wants = [
            max(line * size + pad, heading_want) if line else need
            for line, need, heading_want in zip(lines, needs, heading_wants, strict=True)
        ]
        return _share(width, weights, needs, wants, pad)

    portrait = layout(PORTRAIT, BODY_SIZES[0])
    if portrait is not None and portrait[0] <= PORTRAIT_MAX_LINES:
        return PORTRAIT, BODY_SIZES[0], portrait[1]
    for size in BODY_SIZES:
        planned = layout(LANDSCAPE, size)
        if planned is not None:
            return LANDSCAPE, size, planned[1]
    if portrait is not None:  # pragma: no cover - landscape is wider than portrait
        return PORTRAIT, BODY_SIZES[0], portrait[1]
    width = A4_LONG - 2 * MARGIN
    needs = [max(h, w * BODY_SIZES[-1]) + pad for h, w in zip(heading, longest, strict=True)]
    return LANDSCAPE, BODY_SIZES[-1], [width * need / sum(needs) for need in needs]


def _table_heading(pdf: _Pdf, widths: list[float], columns: Sequence[Column]) -> None:
    pdf.set_font(FAMILY, "B", _heading_size(pdf, widths, columns))
    _table_row(pdf, widths, columns, [c.heading for c in columns], heading=True)
    pdf.set_font(FAMILY, "", pdf.table_size)


def _table(
    pdf: _Pdf, columns: Sequence[Column], rows: Sequence[Sequence[str]], widths: list[float]
) -> None:
    """The lines table; its heading row repeats at the top of every page it runs onto.

    Drawn cell by cell rather than with fpdf2's table(): a cell that fits on one line (most
    do) costs one measure and one cell, which made a 100-line document several times faster.
    """
    if rows:
        # The heading never stands alone at the foot of a page: it goes over with its first row.
        pdf.set_font(FAMILY, "B", _heading_size(pdf, widths, columns))
        needed = _row_height(pdf, widths, [c.heading for c in columns])
        pdf.set_font(FAMILY, "", pdf.table_size)
        needed += _row_height(pdf, widths, rows[0])
        if pdf.get_y() + needed > pdf.page_break_trigger:
            pdf.add_page(same=True)
    _table_heading(pdf, widths, columns)
    for values in rows:
        _table_row(pdf, widths, columns, values)
    pdf.ln(3)


def _signatures(pdf: _Pdf, labels: Sequence[str]) -> None:
    """Boxes to sign: name in capitals, function, date, signature."""
    if not labels:
        return
    per_row = 3
    gap = 4.0
    box_width = (pdf.epw - gap * (per_row - 1)) / per_row
    box_height = 34.0
    prompts = [both("Name"), both("Date"), both("Signature")]
    for start in range(0, len(labels), per_row):
        if pdf.get_y() + box_height > pdf.page_break_trigger:
            pdf.add_page(same=True)
        top = pdf.get_y()
        for offset, label in enumerate(labels[start : start + per_row]):
            x = MARGIN + offset * (box_width + gap)
            pdf.set_draw_color(*RULE)
            pdf.rect(x, top, box_width, box_height)
            pdf.set_xy(x + 2, top + 1.5)
            pdf.set_font(FAMILY, "B", 8.5)
            _text_block(pdf, box_width - 4, 4, pdf.safe(label))
            pdf.set_font(FAMILY, "", 7.5)
            pdf.set_text_color(*MUTED)
            for line_number, prompt in enumerate(prompts):
                y = top + 14 + line_number * 7
                pdf.set_xy(x + 2, y - 3.5)
                pdf.cell(box_width - 4, 3.5, pdf.safe(prompt))
                pdf.line(x + 2, y + 2.5, x + box_width - 2, y + 2.5)
            pdf.set_text_color(*INK)
        pdf.set_y(top + box_height + 4)


def _figure(pdf: _Pdf, figure: Figure) -> None:
    """Title, drawing (fpdf2 draws SVG as vectors: sharp at any zoom) and description."""
    # As wide as a portrait page at most: on a landscape page it would fill the first page.
    width = min(pdf.epw, A4_SHORT - 2 * MARGIN)
    height = width * 0.47  # the charts' aspect ratio (640 × 300)
    if pdf.get_y() + height + 16 > pdf.page_break_trigger:
        pdf.add_page(same=True)
    pdf.set_font(FAMILY, "B", 10)
    pdf.multi_cell(
        pdf.epw, 5, pdf.safe(figure.title), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.image(io.BytesIO(figure.svg.encode()), x=MARGIN, y=pdf.get_y(), w=width, h=height)
    pdf.set_y(pdf.get_y() + height + 1)
    if figure.description:
        pdf.set_font(FAMILY, "", 8.5)
        pdf.multi_cell(
            pdf.epw,
            4.2,
            pdf.safe(figure.description),
            align="L",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    pdf.ln(3)


def _body(pdf: _Pdf, document: Document) -> None:
    orientation, pdf.table_size, widths = _plan(pdf, document.columns, document.rows)
    pdf.add_page(orientation=orientation)
    _facts(pdf, document.facts)
    for figure in document.figures:
        _figure(pdf, figure)
    _table(pdf, document.columns, document.rows, widths)
    if document.note:
        pdf.set_font(FAMILY, "", 9)
        _text_block(pdf, pdf.epw, 4.6, pdf.safe(document.note))
        pdf.ln(3)
    _signatures(pdf, document.signatures)


def render(document: Document, *, strict: bool = False) -> bytes:
    """The document as PDF bytes. ``strict``: refuse characters the fonts cannot draw."""
    return render_many([document], strict=strict)


def render_many(documents: Sequence[Document], *, strict: bool = False) -> bytes:
    """Several documents in one PDF, each from a new page with its own header and number.

    A printer is fed once for a day's slips. Page numbers count the whole file.
    """
    if not documents:
        raise ValueError("nothing to render")
    pdf = _Pdf(documents[0], strict)
    try:
        for document in documents:
            # The new page's header switches to it; the last page's footer keeps its own.
            pdf.next_document = document
            _body(pdf, document)
        return bytes(pdf.output())
    finally:
        for font in pdf.fonts.values():  # fpdf2 opens them lazily and leaves them open
            ttfont = getattr(font, "ttfont", None)
            if ttfont is not None:
                ttfont.close()
