"""Distribution slips, and the recall list of a lot: what they hold, drawn by ``layout``.

A slip: bilingual title, its number and QR code, the place, the recipient's code (never a
name), lines with check boxes, a receipt statement and signature blocks for the recipient (or
guardian or teacher) and the issuer. A day's slips print as one PDF, one slip per page. Nothing
here writes: the caller logs each print and passes its copy number.
"""

from collections.abc import Sequence

from hilogistics.catalogue.models import Item
from hilogistics.distributions.labels import (
    HEADCOUNT_LABELS,
    RECIPIENT_LABELS,
    SERVICE_LABELS,
    SIDE_LABELS,
)
from hilogistics.distributions.models import HEADCOUNT_FIELDS, Distribution
from hilogistics.documents.layout import Column, Document, Printing, both, msg, render_many
from hilogistics.locations.models import Location

CHECK_BOX = "[   ]"


def _bilingual(korean: str | None, english: str) -> str:
    return f"{korean} · {english}" if korean and korean != english else english


def _place(location: Location) -> str:
    return _bilingual(location.name_ko, location.name)


def _item(item: Item) -> str:
    return _bilingual(item.name_ko, item.name)


def slip_document(*, distribution: Distribution, printing: Printing, copy: int = 1) -> Document:
    """The slip of one distribution, its current lines to tick as they are handed over."""
    facts = [
        (both("Place"), _place(distribution.location)),
        (both("Date"), distribution.distributed_on.isoformat()),
        (both("Recipient"), both(RECIPIENT_LABELS[distribution.recipient_type])),
        (both("Recipient code"), distribution.recipient_ref or "—"),
    ]
    if distribution.service is not None:
        facts.append((both("Service"), both(SERVICE_LABELS[distribution.service])))
    if distribution.side is not None:
        facts.append((both("Side"), both(SIDE_LABELS[distribution.side])))
    if distribution.recipient_type.is_group:
        counts = [
            f"{both(HEADCOUNT_LABELS[name])}: {getattr(distribution, name)}"
            for name in HEADCOUNT_FIELDS
            if getattr(distribution, name)
        ]
        facts.append((both("People served"), "; ".join(counts)))
    if distribution.revision > 1:
        facts.append((both("Corrected"), both("Revision %(n)d", n=distribution.revision)))
    if distribution.note:
        facts.append((both("Note"), distribution.note))
    rows = [
        [
            CHECK_BOX,
            str(number),
            line.item.code,
            _item(line.item),
            line.lot.serial or line.lot.code or "",
            line.lot.expires_on.isoformat() if line.lot.expires_on else "",
            str(line.quantity),
            _bilingual(line.item.unit.name_ko, line.item.unit.name),
        ]
        for number, line in enumerate(distribution.lines, start=1)
    ]
    return Document(
        title=msg("Distribution slip"),
        number=distribution.number,
        qr_payload=printing.qr_payload(f"/d/{distribution.number}", distribution.number),
        facts=facts,
        columns=[
            # Wide enough for each bilingual heading to wrap at its " · ", not inside a word.
            Column(both("Received"), 11, "C"),
            Column(both("No."), 6, "R"),
            Column(both("Code"), 18),
            Column(both("Item"), 30),
            Column(both("Lot"), 10),
            Column(both("Expiry"), 10),
            Column(both("Quantity"), 12, "R"),
            Column(both("Unit"), 7),
        ],
        rows=rows,
        note=both(
            "I confirm that I received the items ticked above, in the quantities shown and in "
            "good order."
        ),
        signatures=[both("Recipient, guardian or teacher"), both("Issued by")],
        copy=copy,
        **printing.header(),
    )


def slips_pdf(
    slips: Sequence[tuple[Distribution, int]], *, printing: Printing, strict: bool = False
) -> bytes:
    """Slips as one PDF, one per page: (distribution, copy number) each."""
    return render_many(
        [
            slip_document(distribution=distribution, printing=printing, copy=copy)
            for distribution, copy in slips
        ],
        strict=strict,
    )


def recall_document(
    *,
    title_facts: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[str]],
    printing: Printing,
    number: str,
) -> Document:
    """Every distribution of a lot (or to a recipient): date, slip, place, code, quantity."""
    return Document(
        title=msg("Traceability of distributions"),
        number=number,
        qr_payload=number,
        facts=title_facts,
        columns=[
            Column(both("Date"), 12),
            Column(both("Slip"), 17),
            Column(both("Place"), 28),
            Column(both("Recipient code"), 15),
            Column(both("Item"), 28),
            Column(both("Lot"), 12),
            Column(both("Quantity"), 10, "R"),
        ],
        rows=rows,
        **printing.header(),
    )
