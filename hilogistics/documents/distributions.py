"""Distribution slips, the recall list of a lot, the monthly summary: drawn by ``layout``.

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
from hilogistics.distributions.models import HEADCOUNT_FIELDS, Distribution, PreprintedSlip
from hilogistics.distributions.summary import MonthlySummary
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


BLANK = "_" * 24
BLANK_LINES = 12


def blank_slip_document(*, slip: PreprintedSlip, printing: Printing, copy: int = 1) -> Document:
    """A slip printed in advance for a planned session: its number, blanks to fill in by hand."""
    return Document(
        title=msg("Distribution slip"),
        number=slip.number,
        qr_payload=printing.qr_payload(f"/d/{slip.number}", slip.number),
        facts=[
            (both("Place"), _place(slip.location)),
            (both("Planned for"), slip.planned_on.isoformat()),
            (both("Date"), BLANK),
            (both("Recipient"), BLANK),
            (both("Recipient code"), BLANK),
            (both("Service"), BLANK),
            (both("Side"), BLANK),
            (both("People served"), BLANK),
        ],
        columns=[
            Column(both("Received"), 11, "C"),
            Column(both("No."), 6, "R"),
            Column(both("Code"), 18),
            Column(both("Item"), 30),
            Column(both("Lot"), 10),
            Column(both("Quantity"), 12, "R"),
        ],
        rows=[[CHECK_BOX, str(n), "", "", "", ""] for n in range(1, BLANK_LINES + 1)],
        note=both(
            "I confirm that I received the items ticked above, in the quantities shown and in "
            "good order."
        ),
        signatures=[both("Recipient, guardian or teacher"), both("Issued by")],
        copy=copy,
        **printing.header(),
    )


def blank_slips_pdf(
    slips: Sequence[tuple[PreprintedSlip, int]], *, printing: Printing, strict: bool = False
) -> bytes:
    """Blank pre-numbered slips as one PDF, one per page: (slip, copy number) each."""
    return render_many(
        [blank_slip_document(slip=slip, printing=printing, copy=copy) for slip, copy in slips],
        strict=strict,
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


def summary_pdf(
    *,
    summary: MonthlySummary,
    place: Location | None,
    printing: Printing,
    strict: bool = False,
) -> bytes:
    """A month's distribution summary: items by service and recipient, then people served."""
    month = summary.month.strftime("%Y-%m")
    where = _place(place) if place is not None else both("Every place")
    number = f"SUM-{month}-{place.code if place is not None else 'ALL'}"
    facts = [(both("Month"), month), (both("Place"), where)]
    item_rows = [
        [
            _place(row.location),
            row.item.code,
            _item(row.item),
            both(RECIPIENT_LABELS[row.recipient_type]),
            both(SERVICE_LABELS[row.service]) if row.service is not None else "",
            str(row.quantity),
            _bilingual(row.item.unit.name_ko, row.item.unit.name),
            str(row.slips),
        ]
        for row in summary.items
    ]
    # One row per place, recipient type and sex and age band: eleven columns side by side do
    # not fit a portrait A4 page in two languages.
    bands = [(name, both(HEADCOUNT_LABELS[name])) for name in HEADCOUNT_FIELDS]
    unrecorded = both("Sex and age not recorded")
    people_rows: list[list[str]] = []
    for row in summary.people:
        counts = [(label, row.headcounts[name]) for name, label in bands]
        counts.append((unrecorded, row.unrecorded))
        shown = [(label, n) for label, n in counts if n] or [("—", 0)]
        for index, (label, n) in enumerate(shown):
            people_rows.append(
                [
                    _place(row.location) if index == 0 else "",
                    both(RECIPIENT_LABELS[row.recipient_type]) if index == 0 else "",
                    str(row.slips) if index == 0 else "",
                    label,
                    str(n),
                ]
            )
    totals = summary.people_totals
    if totals is not None:
        counts = [(label, totals.headcounts[name]) for name, label in bands]
        counts.append((unrecorded, totals.unrecorded))
        for index, (label, n) in enumerate(counts):
            people_rows.append(
                [
                    both("Total") if index == 0 else "",
                    "",
                    str(totals.slips) if index == 0 else "",
                    label,
                    str(n),
                ]
            )
        people_rows.append(["", "", "", both("People served"), str(totals.total)])
    items = Document(
        title=msg("Monthly distribution summary: items"),
        number=number,
        qr_payload=number,
        facts=facts,
        columns=[
            Column(both("Place"), 22),
            Column(both("Code"), 18),
            Column(both("Item"), 30),
            Column(both("Who received"), 20),
            Column(both("Service"), 16),
            Column(both("Quantity"), 12, "R"),
            Column(both("Unit"), 9),
            Column(both("Slips"), 9, "R"),
        ],
        rows=item_rows,
        **printing.header(),
    )
    people = Document(
        title=msg("Monthly distribution summary: people served"),
        number=number,
        qr_payload=number,
        facts=facts,
        columns=[
            Column(both("Place"), 26),
            Column(both("Who received"), 24),
            Column(both("Slips"), 10, "R"),
            Column(both("Sex and age band"), 28),
            Column(both("People served"), 14, "R"),
        ],
        rows=people_rows,
        note=both(
            "Groups are counted by their head-counts, session by session; a patient or another "
            "recipient once per recipient code in the month, without sex or age."
        ),
        **printing.header(),
    )
    return render_many([items, people], strict=strict)
