"""The stock card (bin card) of an item at a place, printed to keep on the shelf with the goods."""

from datetime import date

from hilogistics.catalogue.models import Item
from hilogistics.documents.layout import Column, Document, Printing, both, msg, render
from hilogistics.locations.models import Location
from hilogistics.stock.models import TransactionKind
from hilogistics.stock.queries import stock_card
from hilogistics.stock.queries.levels import reorder_levels_for

# A card keeps its last movements; older ones are carried forward as one balance, as a full
# paper card is carried to a new one (and a PDF of thousands of lines helps no one on a shelf).
PRINT_LINES = 400
_PAGE = 200
KIND_WORDS = {
    TransactionKind.RECEIPT: msg("Receipt"),
    TransactionKind.ADJUSTMENT: msg("Adjustment"),
    TransactionKind.REVERSAL: msg("Reversal"),
    TransactionKind.OPENING: msg("Opening balance"),
    TransactionKind.DISPATCH: msg("Dispatch"),
    TransactionKind.ARRIVAL: msg("Arrival"),
    TransactionKind.TRANSIT_LOSS: msg("Loss in transit"),
    TransactionKind.RECALL: msg("Recall"),
    TransactionKind.DISTRIBUTION: msg("Distribution"),
    TransactionKind.CONSUMPTION: msg("Workshop use"),
    TransactionKind.COUNT: msg("Stock count"),
}


def card_number(location: Location, item: Item) -> str:
    """The card's number: place code and item code (``STC-PY-CW-ORT-FOOT-SACH-24``)."""
    return f"STC-{location.code}-{item.code}"


def _bilingual(korean: str | None, english: str) -> str:
    return f"{korean} · {english}" if korean and korean != english else english


def stock_card_document(
    *,
    item: Item,
    location: Location,
    as_of: date | None,
    printing: Printing,
) -> Document:
    """Everything the printed card says: header facts, the last movements, balance carried."""
    locale = printing.locale
    first = stock_card(item.id, location.id, as_of=as_of, page=1, per_page=_PAGE, locale=locale)
    last_page = max(first.page.pages, 1)
    start = max(1, last_page - PRINT_LINES // _PAGE + 1)
    pages = [
        first
        if number == 1
        else stock_card(
            item.id, location.id, as_of=as_of, page=number, per_page=_PAGE, locale=locale
        )
        for number in range(start, last_page + 1)
    ]
    rows: list[list[str]] = []
    opening = pages[0].opening
    if start > 1 or opening:
        rows.append(["", "", both("Balance brought forward"), "", "", "", "", str(opening), ""])
    for page in pages:
        for line in page.lines:
            lot = line.lot_label if line.lot_label != "—" else ""
            if line.lot_expires_on:
                lot = f"{lot} ({line.lot_expires_on.isoformat()})".strip()
            rows.append(
                [
                    line.occurred_on.isoformat(),
                    line.reference or f"#{line.transaction_id}",
                    both(KIND_WORDS.get(line.kind, line.kind.value)),
                    line.other,
                    lot,
                    str(line.quantity_in or ""),
                    str(line.quantity_out or ""),
                    str(line.balance),
                    "",
                ]
            )
    level = reorder_levels_for(location.id, [item.id]).get(item.id)
    minimum = level.minimum if level is not None else None
    facts = [
        (both("Place"), _bilingual(location.name_ko, location.name)),
        (both("Item code"), item.code),
        (both("Item"), _bilingual(item.name_ko, item.name)),
        (both("Unit of issue"), _bilingual(item.unit.name_ko, item.unit.name)),
        (both("Pack size"), str(item.pack_size)),
        (both("Minimum"), "—" if minimum is None else str(minimum)),
        (both("As of"), (as_of or printing.printed_at.date()).isoformat()),
        (both("Balance"), str(pages[-1].closing)),
    ]
    return Document(
        title=msg("Stock card"),
        number=card_number(location, item),
        qr_payload=printing.qr_payload(
            f"/stock/locations/{location.id}/items/{item.id}", card_number(location, item)
        ),
        facts=facts,
        columns=[
            Column(both("Date"), 15),
            Column(both("Document"), 21),
            Column(both("Kind"), 14),
            Column(both("From or to"), 20),
            Column(both("Lot"), 12),
            Column(both("In"), 8, "R"),
            Column(both("Out"), 8, "R"),
            Column(both("Balance"), 10, "R"),
            Column(both("Initials"), 9),
        ],
        rows=rows,
        note=both("This record is not to be destroyed."),
        signatures=[both("Checked by")],
        **printing.header(),
    )


def stock_card_pdf(*, strict: bool = False, **document: object) -> bytes:
    """The printed stock card as PDF bytes (arguments as for ``stock_card_document``)."""
    return render(stock_card_document(**document), strict=strict)  # type: ignore[arg-type]
