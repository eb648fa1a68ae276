"""Printing a count's blind sheet: the print is logged, the PDF rendered by documents/."""

from hilogistics.actors import SystemActor
from hilogistics.auth.models import User
from hilogistics.counts import queries
from hilogistics.counts.services._common import visible_count
from hilogistics.db import begin_write
from hilogistics.documents.counts import count_sheet_pdf
from hilogistics.documents.layout import Printing
from hilogistics.registry.services import log_print


def print_count_sheet(
    *,
    actor: User | SystemActor | None,
    count_id: int,
    printing: Printing,
    strict: bool = False,
) -> tuple[bytes, str]:
    """Log one print of the count's blind sheet and render it: (PDF bytes, file name).

    The sheet lists the lots the system holds in the count's scope, without any quantity.
    Technicians print only their own place's counts (NotFoundError elsewhere).
    """
    begin_write()
    count = visible_count(actor, count_id)
    copy = log_print(count.document, actor)  # type: ignore[arg-type]
    body = count_sheet_pdf(
        count=count, rows=queries.sheet_rows(count), printing=printing, copy=copy, strict=strict
    )
    return body, f"{count.number}-sheet"
