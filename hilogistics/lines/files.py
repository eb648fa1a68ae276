"""Packing-list files (CSV or XLSX) read into rows for a preview, and the template to download.

Reading reuses the bounded reader of the catalogue import (:func:`hilogistics.exports.read_table`);
headings are recognised in every interface language, like pasted rows. A later document passes
its own columns and example row.
"""

from collections.abc import Sequence

from flask import Response
from flask_babel import gettext as _

from hilogistics.exports import SpreadsheetError, download, read_table
from hilogistics.lines.parsing import (
    EXTRA_COLUMNS,
    RECEIPT_COLUMNS,
    Column,
    ReadRows,
    Row,
    RowProblem,
    column_for_header,
    header_names,
    headings,
)

EXTENSIONS = ("csv", "xlsx")
# A packing list of a receipt's 100 lines is a few kilobytes; the request limit is 1 MB too.
MAX_FILE_BYTES = 1024 * 1024
PACKING_LIST_COLUMNS = (*RECEIPT_COLUMNS[:2], EXTRA_COLUMNS[0], *RECEIPT_COLUMNS[2:])
HEADER_COLUMNS = EXTRA_COLUMNS[1:]


def file_extension(filename: str) -> str | None:
    """``csv`` or ``xlsx`` for an accepted file name, otherwise None."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return extension if extension in EXTENSIONS else None


def read_lines_file(
    data: bytes,
    filename: str,
    *,
    max_rows: int,
    columns: Sequence[Column] = (*PACKING_LIST_COLUMNS, *HEADER_COLUMNS),
) -> ReadRows:
    """The rows of a CSV or XLSX file, numbered as the spreadsheet shows them (1: headings).

    Unreadable files, unknown headings and too many rows come back as problems of row 1.
    """
    result = ReadRows(header_row=1)
    if file_extension(filename) is None:
        result.problems.append(RowProblem(1, "", _("Choose a .csv or .xlsx file.")))
        return result
    if len(data) > MAX_FILE_BYTES:
        result.problems.append(
            RowProblem(
                1, "", _("The file is larger than %(n)d MB.", n=MAX_FILE_BYTES // (1024 * 1024))
            )
        )
        return result
    try:
        table = read_table(data, filename, max_rows=max_rows)
    except SpreadsheetError as error:
        result.problems.append(
            RowProblem(1, "", _("The file cannot be read (%(reason)s).", reason=str(error)))
        )
        return result
    if not table:
        result.problems.append(RowProblem(1, "", _("The file has no lines.")))
        return result
    if len(table) > max_rows:
        result.problems.append(
            RowProblem(
                1,
                "",
                _(
                    "The file has more than %(n)d lines, and a receipt holds at most %(n)d: "
                    "split it into several files, one receipt each.",
                    n=max_rows,
                ),
            )
        )
        return result
    names = header_names(columns)
    keys = {heading: column_for_header(heading, names) for heading in table[0][1]}
    unknown = [heading for heading, key in keys.items() if key is None]
    for heading in unknown:
        result.problems.append(
            RowProblem(
                1,
                heading,
                _(
                    "Unknown column. The columns are: %(columns)s.",
                    columns=", ".join(headings(columns)),
                ),
            )
        )
    if "code" not in keys.values():
        result.problems.append(RowProblem(1, str(columns[0].heading), _("This column is missing.")))
    if result.problems:
        return result
    for number, cells in table:
        result.rows.append(
            Row(number, {keys[heading]: text for heading, text in cells.items() if keys[heading]})
        )
    return result


def header_values(rows: Sequence[Row]) -> dict[str, str]:
    """Header fields a file may carry on its rows (supplier, reference): the first one given."""
    values: dict[str, str] = {}
    for column in HEADER_COLUMNS:
        for row in rows:
            if row.get(column.key):
                values[column.key] = row.get(column.key)
                break
    return values


RECEIPT_EXAMPLE = ("MED-PARA-500", 1000, 2, "B2407-11", "2027-05-31", "", "UNICEF", "WB-2026-041")


def template_download(
    fmt: str,
    example: Sequence[object] = RECEIPT_EXAMPLE,
    columns: Sequence[Column] = (*PACKING_LIST_COLUMNS, *HEADER_COLUMNS),
) -> Response:
    """The packing-list template: headings in the reader's language and one example row."""
    return download(
        "xlsx" if fmt == "xlsx" else "csv",
        "packing-list",
        headings(columns),
        [list(example)],
    )
