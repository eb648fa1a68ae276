"""Spreadsheet export and import helpers shared by every page that offers CSV or XLSX."""

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from flask import Response
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
    """The uploaded file is not a readable CSV or XLSX file."""


def read_table(data: bytes, filename: str) -> list[tuple[int, dict[str, str]]]:
    """Rows of an uploaded CSV (UTF-8, with or without BOM) or XLSX file.

    Each row is (row number as the spreadsheet shows it, header → text). Header names are
    stripped and lower-cased; blank rows are skipped. Raises SpreadsheetError.
    """
    if filename.lower().endswith(".xlsx"):
        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a bad file
            raise SpreadsheetError("not a readable XLSX file") from error
        sheet = workbook.worksheets[0]
        values = [
            [
                "" if v is None else (v.isoformat() if isinstance(v, (date, datetime)) else str(v))
                for v in row
            ]
            for row in sheet.iter_rows(values_only=True)
        ]
        workbook.close()
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise SpreadsheetError("the CSV file is not UTF-8") from error
        values = list(csv.reader(io.StringIO(text)))
    if not values:
        raise SpreadsheetError("the file is empty")
    headers = [h.strip().lower() for h in values[0]]
    rows = []
    for number, raw in enumerate(values[1:], start=2):
        if not any(cell.strip() for cell in raw):
            continue
        padded = list(raw) + [""] * (len(headers) - len(raw))
        rows.append(
            (number, {headers[i]: padded[i].strip() for i in range(len(headers)) if headers[i]})
        )
    return rows
