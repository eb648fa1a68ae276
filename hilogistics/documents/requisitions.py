"""The requisition form: a place's request with the figures beside each line and its review.

Rows are the lines (item in Korean and English, quantity asked, on hand, on its way, used per
month, months left, suggested, approved); signature blocks for the requester, the reviewer
and the warehouse. A requisition keyed from paper says so, and by whom. Nothing here writes:
the caller logs the print and passes the copy number.
"""

from decimal import Decimal

from hilogistics.dates import business_day_of
from hilogistics.documents.layout import Column, Document, Printing, both, msg, render
from hilogistics.requisitions.models import Requisition


def _bilingual(korean: str | None, english: str) -> str:
    return f"{korean} · {english}" if korean and korean != english else english


def _rate(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def requisition_document(
    *, requisition: Requisition, printing: Printing, copy: int = 1
) -> Document:
    """The form's content: facts of the requisition, one row per line, signature blocks."""
    rows = [
        [
            str(line.position),
            line.item.code,
            _bilingual(line.item.name_ko, line.item.name),
            str(line.quantity),
            str(line.on_hand),
            str(line.on_the_way),
            _rate(line.monthly_consumption),
            _rate(line.months_left),
            str(line.suggested),
            str(line.approved) if line.decision else "",
            line.reason,
        ]
        for line in requisition.lines
    ]
    location = requisition.location
    supplier = requisition.supplier or location.supplied_by
    keyed = requisition.created_by.display_name if requisition.created_by else "flask hilo"
    supplied = _bilingual(supplier.name_ko, supplier.name) if supplier else "—"
    facts = [
        (both("Place"), _bilingual(location.name_ko, location.name)),
        (both("Supplying warehouse"), supplied),
        (both("Target months of stock"), str(requisition.target_months)),
        (both("Raised on"), business_day_of(requisition.created_at).isoformat()),
    ]
    if requisition.is_from_paper:
        facts.append((both("Entered from the place's paper form by"), keyed))
    else:
        facts.append((both("Raised by"), keyed))
    if requisition.submitted_at:
        facts.append((both("Submitted on"), business_day_of(requisition.submitted_at).isoformat()))
    if requisition.reviewed_at:
        reviewer = requisition.reviewed_by.display_name if requisition.reviewed_by else ""
        reviewed_on = business_day_of(requisition.reviewed_at).isoformat()
        facts.append((both("Reviewed"), f"{reviewed_on} {reviewer}".strip()))
    return Document(
        title=msg("Requisition"),
        number=requisition.number,
        qr_payload=printing.qr_payload(f"/d/{requisition.number}", requisition.number),
        facts=facts,
        columns=[
            # Wide enough for each half of a bilingual heading ("Suggested", "Approved") to
            # stay whole: a heading broken inside a word is hard to read on the paper form.
            Column(both("No."), 7, "R"),
            Column(both("Code"), 12),
            Column(both("Item"), 17),
            Column(both("Asked"), 8, "R"),
            Column(both("On hand"), 8, "R"),
            Column(both("On its way"), 9, "R"),
            Column(both("Used per month"), 9, "R"),
            Column(both("Months left"), 8, "R"),
            Column(both("Suggested"), 10, "R"),
            Column(both("Approved"), 10, "R"),
            Column(both("Reason"), 10),
        ],
        rows=rows,
        note=both(
            "Suggested = target months × use per month (last three complete months) - on hand "
            "- on its way."
        ),
        signatures=[both("Requested by"), both("Reviewed by"), both("Issued by (warehouse)")],
        copy=copy,
        **printing.header(),
    )


def requisition_pdf(
    *, requisition: Requisition, printing: Printing, copy: int = 1, strict: bool = False
) -> bytes:
    """The requisition form as PDF bytes."""
    return render(
        requisition_document(requisition=requisition, printing=printing, copy=copy), strict=strict
    )
