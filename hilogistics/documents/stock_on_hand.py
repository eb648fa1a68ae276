"""Stock on hand at a place, printed whole on A4: every row the filters keep, no link columns."""

from collections.abc import Iterable
from datetime import date

from hilogistics.documents.layout import Column, Document, Printing, both, msg
from hilogistics.locations.models import Location
from hilogistics.stock.queries.on_hand import OnHandRow


def _flags(row: OnHandRow) -> str:
    words = []
    if row.below_minimum:
        words.append(both("Below minimum"))
    if row.expired:
        words.append(both("Expired"))
    elif row.expiring:
        words.append(both("Expiring within %(days)d days", days=row.expiring_days))
    return "; ".join(words)


def on_hand_document(
    *,
    location: Location,
    rows: Iterable[OnHandRow],
    korean_names: dict[int, str],
    today: date,
    filters: str,
    printing: Printing,
    locale: str = "en",
) -> Document:
    """The printed list: one line per item, its Korean name beside the reader's (``locale``)."""
    lines = []
    for row in rows:
        korean = korean_names.get(row.item_id)
        name = row.name if not korean or korean == row.name else f"{korean} · {row.name}"
        lines.append(
            [
                row.code,
                name,
                row.unit,
                str(row.on_hand),
                str(row.available),
                row.earliest_expiry.isoformat() if row.earliest_expiry else "",
                "" if row.minimum is None else str(row.minimum),
                _flags(row),
            ]
        )
    # The place as its items: the Korean name beside the reader's (French for a French reader).
    theirs = location.display_name(locale)
    place = theirs if location.name_ko == theirs else f"{location.name_ko} · {theirs}"
    return Document(
        title=msg("Stock on hand"),
        number=f"SOH-{location.code}-{today.isoformat()}",
        qr_payload=printing.qr_payload(f"/stock/locations/{location.id}", f"SOH-{location.code}"),
        facts=[
            (both("Place"), place),
            (both("As of"), today.isoformat()),
            (both("Filters"), filters),
            (both("Items"), str(len(lines))),
        ],
        columns=[
            Column(both("Code"), 19),
            Column(both("Name"), 29),
            Column(both("Unit"), 8),
            Column(both("On hand"), 10, "R"),
            Column(both("Available"), 11, "R"),
            Column(both("Earliest expiry"), 12),
            Column(both("Minimum"), 10, "R"),
            Column(both("Flags"), 13),
        ],
        rows=lines,
        signatures=[both("Checked by")],
        **printing.header(),
    )
