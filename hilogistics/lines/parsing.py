"""Text typed, pasted or read from a file, turned into line values: dates, quantities, serials.

Every function raises :class:`InputError` with a message for the clerk, in the reader's
language. :func:`read_rows` reads tab-separated rows (a spreadsheet or a packing list pasted
into a box) and :func:`column_for_header` recognises the column headings of the template in
English, Korean and French; a later document passes its own column list.
"""

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

# The most serial numbers one range or one line may expand to: a line of equipment is
# counted in units, and a bigger range is more likely a typing mistake than a consignment.
MAX_SERIALS = 5_000
# The most rows one paste may hold (a receipt has fewer lines; the view says so).
MAX_PASTED_ROWS = 1_000
LOCALES = ("en", "ko_KP", "fr")


class InputError(ValueError):
    """A value that cannot be read; ``message`` says why, for the clerk."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- dates --------------------------------------------------------------------------------

_YMD = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\.?$")
_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_YM = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
_MY = re.compile(r"^(\d{1,2})[-/.](\d{4})$")
# A spreadsheet cell holding a date comes out as an ISO date and time.
_ISO_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ]00:00(:00)?(\.0+)?$")


def _make_date(year: str | int, month: str | int, day: str | int) -> date:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise InputError(_("This date does not exist: write it as YYYY-MM-DD.")) from None


def _month_end(year: str, month: str) -> date:
    if not 1 <= int(month) <= 12:
        raise InputError(_("This date does not exist: write it as YYYY-MM-DD."))
    return date(int(year), int(month), calendar.monthrange(int(year), int(month))[1])


def parse_date(text: str) -> date:
    """A date typed or pasted: YYYY-MM-DD and the other unambiguous forms below.

    YYYY-MM-DD (also with / or .), DD/MM/YYYY or MM/DD/YYYY when only one reading exists,
    or a month YYYY-MM or MM/YYYY (its last day, as packs print it).

    A date like 03/04/2027 is refused: some write the day first, others the month.
    """
    text = text.strip()
    if match := _ISO_DATETIME.match(text):
        text = match[1]
    if match := _YMD.match(text):
        return _make_date(match[1], match[2], match[3])
    if match := _DMY.match(text):
        first, second = int(match[1]), int(match[2])
        if first <= 12 and second <= 12 and first != second:
            raise InputError(_("%(text)s can be read two ways: write it as YYYY-MM-DD.", text=text))
        if second > 12:  # month first, as in the United States
            return _make_date(match[3], first, second)
        return _make_date(match[3], second, first)
    if match := _YM.match(text):
        return _month_end(match[1], match[2])
    if match := _MY.match(text):
        return _month_end(match[2], match[1])
    raise InputError(_("Write the date as YYYY-MM-DD, for example 2027-05-31."))


# --- quantities ---------------------------------------------------------------------------

_WHOLE = re.compile(r"^\d+(\.0+)?$")


def parse_quantity(text: str) -> int:
    """A whole number of at least 0 (spaces between thousands and a spreadsheet's ``12.0`` too)."""
    cleaned = re.sub(r"[\s\u202f\u00a0]", "", text)
    if not _WHOLE.match(cleaned) or len(cleaned) > 12:
        raise InputError(_("Write the quantity as a whole number, for example 25."))
    return int(cleaned.split(".")[0])


# --- serial numbers -----------------------------------------------------------------------

_SEPARATORS = re.compile(r"[\s,;]+")
_NUMBERED = re.compile(r"^(.*?)(\d+)$")


def _expand_range(text: str, limit: int) -> list[str]:
    start, _dots, end = text.partition("..")
    first, last = _NUMBERED.match(start), _NUMBERED.match(end)
    if not start or not end or first is None or last is None:
        raise InputError(
            _(
                "%(range)s: a range is written first..last, both ending in a number, "
                "for example KN-0001..KN-0025.",
                range=text,
            )
        )
    if first[1] != last[1] or len(first[2]) != len(last[2]):
        raise InputError(
            _(
                "%(range)s: both ends of a range need the same prefix and the same number of "
                "digits, for example KN-0001..KN-0025.",
                range=text,
            )
        )
    low, high = int(first[2]), int(last[2])
    if high < low:
        raise InputError(_("%(range)s: the range ends before it starts.", range=text))
    if high - low + 1 > limit:
        raise InputError(
            _("%(range)s: a range may hold at most %(n)d serial numbers.", range=text, n=limit)
        )
    width = len(first[2])
    return [f"{first[1]}{number:0{width}d}" for number in range(low, high + 1)]


def expand_serials(text: str, *, limit: int = MAX_SERIALS) -> list[str]:
    """Serial numbers as typed: lists and ranges such as ``KN-0001..KN-0025``, order kept.

    Lists are one per line, or separated by commas, semicolons or spaces. A range's ends have
    the same prefix and the same zero-padded width.

    A serial number therefore holds no space or comma. Raises InputError for a bad range or
    more than ``limit`` serial numbers in all.
    """
    serials: list[str] = []
    for token in _SEPARATORS.split(text.strip()):
        if not token:
            continue
        if ".." in token:
            serials.extend(_expand_range(token, limit))
        else:
            serials.append(token)
        if len(serials) > limit:
            raise InputError(_("At most %(n)d serial numbers per line.", n=limit))
    return serials


# --- rows and their columns ---------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column of pasted or imported rows: its key, its heading, and other accepted names."""

    key: str
    heading: LazyString
    aliases: tuple[str, ...] = ()


# The columns of a receipt's pasted rows, in the order they are read when there is no header.
# Aliases also read headings in the interface's former words, which the glossary
# (hilogistics/translations/GLOSSARY.md) replaced: older French templates say "Code du lot",
# and staff used to read 유효기간 for the expiry date.
RECEIPT_COLUMNS = (
    Column("code", _l("Item code"), ("code", "item", "item_code", "article", "코드")),
    Column("quantity", _l("Quantity"), ("qty", "units", "qté")),
    Column(
        "lot", _l("Lot code"), ("lot", "lot_code", "batch", "batch number", "로트", "code du lot")
    ),
    Column(
        "expiry",
        _l("Expiry date"),
        ("expiry", "expires", "exp", "expires_on", "expiration", "유효기간"),
    ),
    Column("serials", _l("Serial numbers"), ("serials", "serial", "serial number")),
)
# Columns a packing-list file may add; they are not part of a pasted row's fixed order.
EXTRA_COLUMNS = (
    Column("packs", _l("Packs"), ("packs", "cartons", "colis")),
    Column("supplier", _l("Supplier or donor"), ("supplier", "donor")),
    Column("reference", _l("Reference"), ("reference", "waybill", "invoice")),
)


def _normal(text: str) -> str:
    return " ".join(text.strip().lower().replace("_", " ").split())


def header_names(columns: Sequence[Column]) -> dict[str, str]:
    """Accepted heading (normalised) → column key, in every interface language."""
    names: dict[str, str] = {}
    for column in columns:
        for alias in (column.key, *column.aliases):
            names[_normal(alias)] = column.key
        for locale in LOCALES:
            with force_locale(locale):
                names[_normal(str(column.heading))] = column.key
    return names


def column_for_header(heading: str, names: dict[str, str]) -> str | None:
    """The column key a heading names (any interface language), or None."""
    return names.get(_normal(heading))


@dataclass
class Row:
    """One row read from a paste or a file: its number there, and column key → text."""

    number: int
    cells: dict[str, str] = field(default_factory=dict)

    def get(self, key: str) -> str:
        """The text of a column, stripped ("" when absent)."""
        return self.cells.get(key, "").strip()


@dataclass
class RowProblem:
    """Why a row, or a column of it, cannot be read (row numbers count from 1)."""

    row: int
    column: str
    message: str


@dataclass
class ReadRows:
    """Rows read from a paste or a file, and the problems found on the way."""

    rows: list[Row] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    header_row: int | None = None


def _split(line: str) -> list[str]:
    # A spreadsheet quotes a cell holding line breaks or tabs; the serial column may do so.
    return [cell.strip().strip('"').strip() for cell in line.split("\t")]


def read_rows(
    text: str,
    columns: Sequence[Column] = RECEIPT_COLUMNS,
    *,
    max_rows: int = MAX_PASTED_ROWS,
) -> ReadRows:
    """Tab-separated rows, as copied from a spreadsheet; blank rows skipped.

    A first row of headings (in any interface language) is recognised and orders the columns.

    Without headings the columns are read in the order of ``columns``. Lines without a tab are
    read as a row whose first column alone is given.
    """
    result = ReadRows()
    names = header_names(columns)
    order = [column.key for column in columns]
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        cells = _split(line)
        if result.header_row is None and not result.rows:
            keys = [column_for_header(cell, names) for cell in cells]
            if any(keys) and all(key or not cell for key, cell in zip(keys, cells, strict=True)):
                result.header_row = number
                order = [key or "" for key in keys]
                continue
        if len(result.rows) >= max_rows:
            result.problems.append(
                RowProblem(number, "", _("At most %(n)d rows can be read at once.", n=max_rows))
            )
            break
        row = Row(number)
        for index, cell in enumerate(cells):
            if index < len(order) and order[index]:
                row.cells[order[index]] = cell
            elif cell:
                result.problems.append(
                    RowProblem(
                        number, str(index + 1), _("This row has more columns than expected.")
                    )
                )
        result.rows.append(row)
    return result


def check_row(row: Row) -> list[RowProblem]:
    """The format problems of one receipt row: quantity, packs, expiry and serial numbers."""
    problems: list[RowProblem] = []
    for key in ("quantity", "packs"):
        if row.get(key):
            try:
                parse_quantity(row.get(key))
            except InputError as error:
                problems.append(RowProblem(row.number, key, error.message))
    if not row.get("code"):
        problems.append(RowProblem(row.number, "code", _("Enter the item code.")))
    if not row.get("quantity") and not row.get("packs"):
        problems.append(RowProblem(row.number, "quantity", _("Enter the quantity.")))
    if row.get("expiry"):
        try:
            parse_date(row.get("expiry"))
        except InputError as error:
            problems.append(RowProblem(row.number, "expiry", error.message))
    if row.get("serials"):
        try:
            expand_serials(row.get("serials"))
        except InputError as error:
            problems.append(RowProblem(row.number, "serials", error.message))
    return problems


def headings(columns: Iterable[Column]) -> list[str]:
    """The columns' headings in the reader's language (a template's header row)."""
    return [str(column.heading) for column in columns]
