"""Requisition operations: raise, edit, submit, cancel; review and reserve; fulfil; close.

Reservations go through ``stock.ledger.reserve``/``release`` (one per approved line, at the
supplying warehouse, per item: lots are picked when the shipment is drafted); dispatches
fulfil them through ``ledger.Line.reservation_id``. Functions take keyword arguments and an
explicit actor, flush, and never commit.
"""

from hilogistics.requisitions.services._common import (
    can_see,
    is_logistics,
    may_request_for,
    visible_requisition,
)
from hilogistics.requisitions.services.fulfilling import (
    cancel_backorder,
    close_after_receipt,
    close_if_done,
    create_requisition_shipment,
)
from hilogistics.requisitions.services.printing import print_requisition
from hilogistics.requisitions.services.raising import (
    MAX_LINES,
    RequestLine,
    cancel_requisition,
    create_requisition,
    submit_requisition,
    update_requisition,
)
from hilogistics.requisitions.services.reviewing import LineReview, holder_of, review_requisition
from hilogistics.shipments.services import after_receipt

# Receiving the last of what a requisition approved closes it, in the receiving transaction.
after_receipt(close_after_receipt)

__all__ = [
    "MAX_LINES",
    "LineReview",
    "RequestLine",
    "can_see",
    "cancel_backorder",
    "cancel_requisition",
    "close_if_done",
    "create_requisition",
    "create_requisition_shipment",
    "holder_of",
    "is_logistics",
    "may_request_for",
    "print_requisition",
    "review_requisition",
    "submit_requisition",
    "update_requisition",
    "visible_requisition",
]
