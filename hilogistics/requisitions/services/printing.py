"""Print the requisition form: one logged print ("COPY n" from the second on)."""

from hilogistics.actors import SystemActor
from hilogistics.auth.models import User
from hilogistics.db import begin_write
from hilogistics.documents.layout import Printing
from hilogistics.documents.requisitions import requisition_pdf
from hilogistics.registry.services import log_print
from hilogistics.requisitions.services._common import visible_requisition


def print_requisition(
    *,
    actor: User | SystemActor | None,
    requisition_id: int,
    printing: Printing,
    strict: bool = False,
) -> tuple[bytes, str]:
    """Log one print of the requisition form and render it: (PDF bytes, file name).

    Technicians print only their own place's (NotFoundError elsewhere).
    """
    begin_write()
    requisition = visible_requisition(actor, requisition_id)
    copy = log_print(requisition.document, actor)  # type: ignore[arg-type]
    body = requisition_pdf(requisition=requisition, printing=printing, copy=copy, strict=strict)
    return body, requisition.number
