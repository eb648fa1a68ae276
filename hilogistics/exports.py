"""Spreadsheet export and import helpers shared by every page that offers CSV or XLSX."""

import csv
import io
import time
import unicodedata
import zipfile
from collections.abc import Generator, Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

from flask import Response
from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

# A cell starting with one of these is a formula to spreadsheet programs (CSV injection).
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_MAX_WIDTH = 60
_CAPTION_FONT = Font(bold=True, size=12)
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="E8EDF3")


def neutralise(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula with a quote; leave numbers alone."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float, date, datetime)):
        return value
    return neutralise(str(value))


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs show Hangul correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in headers])
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def _display_width(value: Any) -> int:
    """Columns a value takes in a spreadsheet: Hangul and other wide characters count twice."""
    text = value.isoformat() if isinstance(value, (date, datetime)) else str(value)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def xlsx_bytes(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    title: str = "Sheet1",
    caption: Sequence[str] = (),
) -> bytes:
    """An XLSX workbook with one sheet, ready to read, text cells neutralised like CSV's.

    Caption lines (what, where, when, which filters) stand above a bold header row that stays
    in view, with a filter on it and column widths that fit the longest value (Hangul included).
    """
    rows = [[_cell(v) for v in row] for row in rows]
    widths = [_display_width(h) for h in headers]
    for row in rows:
        for index, value in enumerate(row[: len(widths)]):
            widths[index] = max(widths[index], _display_width(value))
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "Sheet1")
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, _MAX_WIDTH)
    header_row = len(caption) + 1
    sheet.freeze_panes = f"A{header_row + 1}"
    if headers:
        last = get_column_letter(len(headers))
        sheet.auto_filter.ref = f"A{header_row}:{last}{header_row + max(len(rows), 1)}"
    for line in caption:
        cell = WriteOnlyCell(sheet, value=neutralise(line))
        cell.font = _CAPTION_FONT
        sheet.append([cell])
    heading = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=neutralise(text))
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        heading.append(cell)
    sheet.append(heading)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def download(
    fmt: str,
    filename: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    caption: Sequence[str] = (),
) -> Response:
    """A CSV (default) or XLSX attachment response; ``caption`` heads the XLSX sheet."""
    if fmt == "xlsx":
        body = xlsx_bytes(headers, rows, filename, caption)
        mimetype, extension = XLSX_MIMETYPE, "xlsx"
    else:
        body, mimetype, extension = csv_bytes(headers, rows), CSV_MIMETYPE, "csv"
    # content_type, not mimetype: Werkzeug appends "; charset=utf-8" to a text/* mimetype again.
    response = Response(body, content_type=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.{extension}"'
    return response


class SpreadsheetError(ValueError):
    """The uploaded file is not a readable CSV or XLSX file, or is too big to read safely."""


# Bounds on what an uploaded table may hold, checked while reading: a small file can unpack
# into gigabytes (an XLSX file is a zip archive) or into millions of rows.
MAX_CELL_CHARS = 2_000
MAX_COLUMNS = 100
MAX_XLSX_MEMBERS = 200
# An export of 10,000 items unpacks to about 7.5 MB. Read-only openpyxl parses a sheet that
# does not state its dimension twice: the bound keeps that within seconds.
MAX_XLSX_UNPACKED_BYTES = 24 * 1024 * 1024
# Blank rows are skipped but still cost time to read: at most this many rows in all.
MAX_SCANNED_ROWS = 100_000
# Reading stops after this many seconds, well before a worker's request timeout.
MAX_READ_SECONDS = 15.0


def read_table(
    data: bytes, filename: str, *, max_rows: int | None = None
) -> list[tuple[int, dict[str, str]]]:
    """Rows of an uploaded CSV (UTF-8, with or without BOM) or XLSX file.

    Each row is (row number as the spreadsheet shows it, header → text). Header names are
    stripped and lower-cased; blank rows are skipped. With ``max_rows``, reading stops after
    ``max_rows + 1`` rows, so that the caller can say the file has too many. Raises
    SpreadsheetError, also for a file beyond the bounds above (checked before unpacking XLSX).
    """
    raw_rows = _xlsx_rows(data) if filename.lower().endswith(".xlsx") else _csv_rows(data)
    try:
        return _table(raw_rows, max_rows, deadline=time.monotonic() + MAX_READ_SECONDS)
    finally:
        raw_rows.close()  # closes the workbook when reading stopped early


def _csv_rows(data: bytes) -> Generator[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SpreadsheetError(_("the CSV file is not UTF-8")) from error
    reader = csv.reader(io.StringIO(text))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:  # e.g. a cell beyond the csv module's own size limit
            raise SpreadsheetError(
                _(
                    "row %(row)d cannot be read: a cell is longer than %(n)d characters or "
                    "a quotation mark is not closed",
                    row=reader.line_num,
                    n=MAX_CELL_CHARS,
                )
            ) from error
        yield row


def _check_xlsx_archive(data: bytes) -> None:
    """Refuse an XLSX archive whose members would unpack beyond the bounds, before unpacking.

    The sizes declared in the archive are binding: Python's zip reader stops at the declared
    size of a member and fails its checksum if the data goes on.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise SpreadsheetError(_("not a readable XLSX file")) from error
    if len(members) > MAX_XLSX_MEMBERS:
        raise SpreadsheetError(_("the XLSX file holds more than %(n)d parts", n=MAX_XLSX_MEMBERS))
    if sum(member.file_size for member in members) > MAX_XLSX_UNPACKED_BYTES:
        raise SpreadsheetError(
            _(
                "the XLSX file unpacks to more than %(n)d MB: split it or save it as CSV",
                n=MAX_XLSX_UNPACKED_BYTES // (1024 * 1024),
            )
        )


def _xlsx_rows(data: bytes) -> Generator[list[str]]:
    _check_xlsx_archive(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a bad file
        raise SpreadsheetError(_("not a readable XLSX file")) from error
    try:
        sheet = workbook.worksheets[0]
        # One column more than allowed, to notice a file that has too many.
        for row in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1):
            yield [
                "" if v is None else (v.isoformat() if isinstance(v, (date, datetime)) else str(v))
                for v in row
            ]
    except SpreadsheetError:
        raise
    except Exception as error:  # a damaged sheet fails while it is read
        raise SpreadsheetError(_("not a readable XLSX file")) from error
    finally:
        workbook.close()


def _table(
    raw_rows: Iterator[list[str]], max_rows: int | None, *, deadline: float
) -> list[tuple[int, dict[str, str]]]:
    headers: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    for number, raw in enumerate(raw_rows, start=1):
        if number > MAX_SCANNED_ROWS:
            raise SpreadsheetError(
                _("the file has more than %(n)d rows, blank ones included", n=MAX_SCANNED_ROWS)
            )
        if time.monotonic() > deadline:
            raise SpreadsheetError(_("the file takes too long to read: split it"))
        if len(raw) > MAX_COLUMNS and any(cell.strip() for cell in raw[MAX_COLUMNS:]):
            raise SpreadsheetError(_("the file has more than %(n)d columns", n=MAX_COLUMNS))
        for index, cell in enumerate(raw):
            if len(cell) > MAX_CELL_CHARS:
                column = headers[index] if headers and index < len(headers) else str(index + 1)
                raise SpreadsheetError(
                    _(
                        "row %(row)d, column %(column)s: a cell is longer than %(n)d characters",
                        row=number,
                        column=column,
                        n=MAX_CELL_CHARS,
                    )
                )
        if headers is None:
            headers = [h.strip().lower() for h in raw[:MAX_COLUMNS]]
            continue
        if not any(cell.strip() for cell in raw):
            continue
        padded = list(raw) + [""] * (len(headers) - len(raw))
        rows.append(
            (number, {headers[i]: padded[i].strip() for i in range(len(headers)) if headers[i]})
        )
        if max_rows is not None and len(rows) > max_rows:
            break
    if headers is None:
        raise SpreadsheetError(_("the file is empty"))
    return rows
