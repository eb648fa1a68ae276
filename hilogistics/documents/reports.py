"""A report on A4: its filters as facts, its chart, its rows and a totals row."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from flask_babel import force_locale

from hilogistics.documents.layout import Column as PdfColumn
from hilogistics.documents.layout import Document, Figure, Printing, both
from hilogistics.reports.charts import BarChart, bar_chart_svg
from hilogistics.reports.framework import PDF_MAX_ROWS, Column, Report, msgid_of


def _two(text: Any) -> str:
    """A lazy interface string in Korean and English side by side."""
    texts = []
    for language in ("ko_KP", "en"):
        with force_locale(language):
            texts.append(str(text))
    return texts[0] if texts[0] == texts[1] else f"{texts[0]} · {texts[1]}"


def report_document(
    *,
    report: Report,
    facts: Sequence[tuple[str, str]],
    columns: Sequence[Column],
    rows: Sequence[Sequence[Any]],
    sums: dict[str, int],
    chart: BarChart | None,
    today: date,
    printing: Printing,
) -> Document:
    """The printed report; rows beyond PDF_MAX_ROWS are left out with a note saying so."""
    shown = list(rows[:PDF_MAX_ROWS])
    lines = [[str(v) for v in row] for row in shown]
    if sums:
        lines.append(
            [both("Total") if i == 0 else str(sums.get(c.key, "")) for i, c in enumerate(columns)]
        )
    note = ""
    if len(rows) > PDF_MAX_ROWS:
        note = both(
            "Only the first %(n)d rows are printed; the export has them all.", n=PDF_MAX_ROWS
        )
    figures = []
    if chart is not None:
        figures.append(
            Figure(
                title=chart.title,
                svg=bar_chart_svg(chart, printable=True),
                description=chart.description,
            )
        )
    return Document(
        title=msgid_of(report.title),
        number=f"RPT-{report.name.upper()}-{today.isoformat()}",
        qr_payload=printing.qr_payload(f"/reports/{report.name}", f"RPT-{report.name.upper()}"),
        facts=[(both("Printed for"), printing.printed_by), *facts],
        columns=[PdfColumn(_two(c.label), c.width, "R" if c.numeric else "L") for c in columns],
        rows=lines,
        figures=figures,
        note=note,
        **printing.header(),
    )
