"""The blind count sheet: what to count at a place, with no expected quantity on it.

Rows are the lots the system knows at the place in the count's scope (item in Korean and
English, lot and expiry as recorded) with empty columns to write the lot and expiry seen and
the quantity counted; blank rows follow for lots found. Signature blocks for the counter and
the witness. Nothing here writes: the caller logs the print and passes the copy number.
"""

from collections.abc import Sequence

from hilogistics.counts.models import StockCount
from hilogistics.counts.queries import SheetRow
from hilogistics.documents.layout import Column, Document, Printing, both, msg, render

BLANK_ROWS = 12


def _bilingual(korean: str | None, english: str) -> str:
    return f"{korean} · {english}" if korean and korean != english else english


def count_sheet_document(
    *, count: StockCount, rows: Sequence[SheetRow], printing: Printing, copy: int = 1
) -> Document:
    """The sheet's content: facts of the count, one row per known lot, blank rows to fill."""
    table: list[list[str]] = []
    for number, row in enumerate(rows, start=1):
        table.append(
            [
                str(number),
                row.item.code,
                _bilingual(row.item.name_ko, row.item.name),
                row.lot.serial or row.lot.code or "",
                row.lot.expires_on.isoformat() if row.lot.expires_on else "",
                _bilingual(row.item.unit.name_ko, row.item.unit.name),
                "",
                "",
            ]
        )
    for number in range(len(rows) + 1, len(rows) + BLANK_ROWS + 1):
        table.append([str(number), "", "", "", "", "", "", ""])
    scope = (
        ", ".join(_bilingual(c.name_ko, c.name) for c in count.categories)
        if count.categories
        else both("Whole place")
    )
    location = count.location
    return Document(
        title=msg("Count sheet"),
        number=count.number,
        qr_payload=printing.qr_payload(f"/d/{count.number}", count.number),
        facts=[
            (both("Place"), _bilingual(location.name_ko, location.name)),
            (both("Categories"), scope),
            (both("Opened on"), count.opened_on.isoformat()),
            (both("Count date"), ""),
        ],
        columns=[
            Column(both("No."), 7, "R"),
            Column(both("Code"), 18),
            Column(both("Item"), 30),
            Column(both("Lot"), 13),
            Column(both("Expiry"), 13),
            Column(both("Unit"), 8),
            Column(both("Counted"), 11, "R"),
            Column(both("Remarks"), 12),
        ],
        rows=table,
        note=both(
            "Count what is on the shelves and write it down; do not look up the records. "
            "Write the lot and expiry of every lot found that is not listed on a blank row."
        ),
        signatures=[both("Counted by"), both("Witness")],
        copy=copy,
        **printing.header(),
    )


def count_sheet_pdf(
    *,
    count: StockCount,
    rows: Sequence[SheetRow],
    printing: Printing,
    copy: int = 1,
    strict: bool = False,
) -> bytes:
    """The blind count sheet as PDF bytes."""
    document = count_sheet_document(count=count, rows=rows, printing=printing, copy=copy)
    return render(document, strict=strict)
