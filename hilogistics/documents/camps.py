"""The camp report: what a camp received, gave out, sent back and lost, and whom it served.

One table, item by item: loaded, distributed, returned, differences (the count's write-offs
less what it found) and what is still at the camp, each item followed by what it went to
(recipient and fitting service). People served by sex and age band are in the facts. The
note states the balance every row keeps. Nothing here writes: the caller logs the print.
"""

from hilogistics.camps.labels import STATUS_LABELS
from hilogistics.camps.queries import CampReport
from hilogistics.distributions.labels import HEADCOUNT_LABELS, RECIPIENT_LABELS, SERVICE_LABELS
from hilogistics.distributions.models import HEADCOUNT_FIELDS
from hilogistics.documents.layout import Column, Document, Printing, both, msg, render


def _bilingual(korean: str | None, english: str) -> str:
    return f"{korean} · {english}" if korean and korean != english else english


def camp_report_document(*, report: CampReport, printing: Printing, copy: int = 1) -> Document:
    """The report's content: the camp's facts and people served, one block of rows per item."""
    camp, place = report.camp, report.camp.location
    rows: list[list[str]] = []
    for row in report.items:
        rows.append(
            [
                row.item.code,
                _bilingual(row.item.name_ko, row.item.name),
                str(row.loaded),
                str(row.distributed),
                str(row.returned),
                str(row.differences),
                str(row.on_hand),
            ]
        )
        for figure in report.by_service:
            if figure.item.id != row.item.id:
                continue
            use = both(RECIPIENT_LABELS[figure.recipient_type])
            if figure.service is not None:
                use += " / " + both(SERVICE_LABELS[figure.service])
            rows.append(["", f"– {use}", "", str(figure.quantity), "", "", ""])
    province = place.province
    facts = [
        (both("Camp"), _bilingual(place.name_ko, place.name)),
        (both("Status"), both(STATUS_LABELS[camp.status])),
        (
            both("Village or site"),
            camp.village + (f", {_bilingual(province.name_ko, province.name)}" if province else ""),
        ),
        (both("Dates"), f"{camp.starts_on.isoformat()} – {camp.ends_on.isoformat()}"),
        (
            both("Supplying warehouse"),
            _bilingual(place.supplied_by.name_ko, place.supplied_by.name)
            if place.supplied_by
            else "—",
        ),
        (both("Closed"), camp.closed_on.isoformat() if camp.closed_on else "—"),
        (both("Team"), camp.team or "—"),
        (both("Patient fittings"), str(report.fittings)),
        *((both(HEADCOUNT_LABELS[name]), str(report.people[name])) for name in HEADCOUNT_FIELDS),
        (both("People served (total)"), str(report.people_total)),
    ]
    return Document(
        title=msg("Camp report"),
        number=camp.number,
        qr_payload=printing.qr_payload(f"/d/{camp.number}", camp.number),
        facts=facts,
        columns=[
            # Wide enough for "Distributed" and "Differences" to stay whole under their Korean.
            Column(both("Code"), 14),
            Column(both("Item"), 28),
            Column(both("Loaded"), 10, "R"),
            Column(both("Distributed"), 12, "R"),
            Column(both("Returned"), 11, "R"),
            Column(both("Differences"), 12, "R"),
            Column(both("Still at the camp"), 11, "R"),
        ],
        rows=rows,
        note=both(
            "Per item: loaded = distributed + returned + differences + still at the camp. "
            "Differences are what the count found missing (or lost), less what it found in "
            "surplus."
        ),
        signatures=[both("Camp leader"), both("Logistics")],
        copy=copy,
        **printing.header(),
    )


def camp_report_pdf(
    *, report: CampReport, printing: Printing, copy: int = 1, strict: bool = False
) -> bytes:
    """The camp report as PDF bytes."""
    return render(camp_report_document(report=report, printing=printing, copy=copy), strict=strict)
